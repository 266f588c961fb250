import { useState } from "react";

import { api, unwrap } from "../api/client";
import { ProblemView, useLoad } from "../components/common";

function currentMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

function Meter({ label, used, limit }: { label: string; used: number; limit: number }) {
  const share = limit > 0 ? Math.min(used / limit, 1) : 0;
  const id = `usage-${label.toLowerCase().replace(/ /g, "-")}`;
  return (
    <div className="meter" data-testid={id}>
      <p id={id}>
        {label}: <strong>{used.toLocaleString()}</strong> of {limit.toLocaleString()} ({Math.round(share * 100)}%)
      </p>
      <progress aria-labelledby={id} max={limit} value={Math.min(used, limit)} />
    </div>
  );
}

/** A month's executions and agent tokens, against the tier's quotas, in all and by workflow. */
export function Usage() {
  const [month, setMonth] = useState(currentMonth);
  const loaded = useLoad(() => unwrap(api.GET("/v1/usage", { params: { query: { month } } })), [month]);
  const report = loaded.data;
  return (
    <section>
      <h1>Usage and quotas</h1>
      <div className="filters">
        <label>
          Month
          <input type="month" value={month} required onChange={(event) => setMonth(event.target.value || currentMonth())} />
        </label>
        <button type="button" onClick={loaded.reload}>
          Refresh
        </button>
      </div>
      <ProblemView error={loaded.error} />
      {loaded.loading && !report && <p className="muted">Loading…</p>}
      {report && !loaded.error && (
        <>
          <Meter label="Executions" used={report.executions} limit={report.quotas.executions} />
          <Meter
            label="Agent tokens"
            used={report.input_tokens + report.output_tokens}
            limit={report.quotas.agent_tokens}
          />
          <h2>By workflow</h2>
          {report.workflows.length === 0 ? (
            <p className="empty">No workflow ran this month.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Workflow</th>
                  <th>Executions</th>
                  <th>Input tokens</th>
                  <th>Output tokens</th>
                </tr>
              </thead>
              <tbody>
                {report.workflows.map((usage) => (
                  <tr key={usage.workflow_id} data-testid="workflow-usage">
                    <td>{usage.workflow_id}</td>
                    <td>{usage.executions}</td>
                    <td>{usage.input_tokens}</td>
                    <td>{usage.output_tokens}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
