import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { formatTime, ListState, useLoad } from "../components/common";

const STATUSES: Schemas["ExecutionStatus"][] = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"];

export function Executions() {
  const [search, setSearch] = useSearchParams();
  const status = (search.get("status") as Schemas["ExecutionStatus"] | null) ?? undefined;
  const workflowId = search.get("workflow_id") ?? undefined;
  const [cursor, setCursor] = useState<string | undefined>();
  const loaded = useLoad(
    () => unwrap(api.GET("/v1/executions", { params: { query: { status, workflow_id: workflowId, cursor } } })),
    [status, workflowId, cursor],
  );
  const filter = (name: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    setCursor(undefined);
    setSearch(next);
  };
  return (
    <section>
      <h1>Executions</h1>
      <div className="filters">
        <label>
          Status
          <select value={status ?? ""} onChange={(event) => filter("status", event.target.value)}>
            <option value="">any</option>
            {STATUSES.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>
        <label>
          Workflow id
          <input value={workflowId ?? ""} onChange={(event) => filter("workflow_id", event.target.value)} />
        </label>
        <button type="button" onClick={loaded.reload}>
          Refresh
        </button>
      </div>
      <ListState loaded={loaded} items={loaded.data?.items} empty="No executions match.">
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>Execution</th>
                <th>Workflow</th>
                <th>Status</th>
                <th>Trigger</th>
                <th>Started</th>
                <th>Duration</th>
              </tr>
            </thead>
            <tbody>
              {items.map((execution) => (
                <tr key={execution.execution_id}>
                  <td>
                    <Link to={`/executions/${execution.execution_id}`}>{execution.execution_id}</Link>
                  </td>
                  <td>{execution.workflow_id}</td>
                  <td>
                    <span className={`badge status-${execution.status.toLowerCase()}`}>{execution.status}</span>
                    {execution.failed_node && <> at {execution.failed_node}</>}
                  </td>
                  <td>{execution.trigger}</td>
                  <td>{formatTime(execution.started_at)}</td>
                  <td>{execution.duration_ms == null ? "—" : `${execution.duration_ms} ms`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListState>
      {loaded.data?.next_cursor && (
        <button type="button" onClick={() => setCursor(loaded.data?.next_cursor ?? undefined)}>
          Next page
        </button>
      )}
    </section>
  );
}
