import { Link } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ListState, useLoad } from "../components/common";

export function Workflows() {
  const loaded = useLoad(() => unwrap(api.GET("/v1/workflows")));
  const canEdit = roleAtLeast(loadSession(), "editor");
  return (
    <section>
      <div className="page-head">
        <h1>Workflows</h1>
        {canEdit && (
          <Link className="button" to="/workflows/new">
            New workflow
          </Link>
        )}
      </div>
      <ListState loaded={loaded} items={loaded.data?.items} empty="No workflows yet: build one with New workflow.">
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Live version</th>
                <th>Latest version</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((workflow) => (
                <tr key={workflow.id}>
                  <td>
                    <Link to={`/workflows/${workflow.id}`}>{workflow.name}</Link>
                  </td>
                  <td>{workflow.live_version ?? "—"}</td>
                  <td>{workflow.latest_version ?? "—"}</td>
                  <td>{formatTime(workflow.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListState>
    </section>
  );
}
