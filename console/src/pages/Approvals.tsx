import { useState } from "react";
import { Link } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";

export function Approvals() {
  const loaded = useLoad(() => unwrap(api.GET("/v1/approvals", { params: { query: { status: "pending" } } })));
  const canAnswer = roleAtLeast(loadSession(), "editor");
  const [comments, setComments] = useState<Record<string, string>>({});
  const [error, busy, run] = useAction();
  const answer = (approvalId: string, verdict: "approve" | "reject") =>
    void run(async () => {
      const params = { path: { approval_id: approvalId } };
      const body = { comment: comments[approvalId] || null };
      if (verdict === "approve") await unwrap(api.POST("/v1/approvals/{approval_id}/approve", { params, body }));
      else await unwrap(api.POST("/v1/approvals/{approval_id}/reject", { params, body }));
    }).then(loaded.reload);
  return (
    <section>
      <h1>Approvals inbox</h1>
      <ProblemView error={error} />
      <ListState loaded={loaded} items={loaded.data?.items} empty="Nothing waits for an answer.">
        {(items) => (
          <ul className="cards">
            {items.map((approval) => (
              <li key={approval.approval_id} className="card" data-testid="approval">
                <p>{approval.message}</p>
                <p className="muted">
                  Node <code>{approval.node_id}</code> of{" "}
                  <Link to={`/executions/${approval.execution_id}`}>execution {approval.execution_id}</Link>, expires{" "}
                  {formatTime(approval.expires_at)}
                </p>
                <label>
                  Comment
                  <input
                    value={comments[approval.approval_id] ?? ""}
                    onChange={(event) => setComments({ ...comments, [approval.approval_id]: event.target.value })}
                  />
                </label>
                <button type="button" disabled={!canAnswer || busy} onClick={() => answer(approval.approval_id, "approve")}>
                  Approve
                </button>
                <button type="button" disabled={!canAnswer || busy} onClick={() => answer(approval.approval_id, "reject")}>
                  Reject
                </button>
              </li>
            ))}
          </ul>
        )}
      </ListState>
    </section>
  );
}
