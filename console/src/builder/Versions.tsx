import { Background, Controls, ReactFlow, ReactFlowProvider, type Edge } from "@xyflow/react";
import { useState } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";
import { diffCanvas } from "../graph/diff";
import { autoLayout } from "../graph/layout";
import type { ForgeNode } from "../graph/mapping";
import { nodeTypes } from "../graph/NodeView";
import type { WorkflowDocument } from "../graph/workflow";
import { costSummary } from "./cost";

export interface VersionDiff {
  from: number;
  to: number;
  diff: Schemas["WorkflowDiff"];
  nodes: ForgeNode[];
  edges: Edge[];
}

async function readVersion(workflowId: string, version: number): Promise<WorkflowDocument> {
  const read = await unwrap(
    api.GET("/v1/workflows/{workflow_id}/versions/{version}", { params: { path: { workflow_id: workflowId, version } } }),
  );
  return read.definition as unknown as WorkflowDocument;
}

/** Two versions' graphs as one canvas with each change marked (the API's diff), laid out if unplaced. */
export async function loadVersionDiff(workflowId: string, from: number, to: number): Promise<VersionDiff> {
  const [before, after, diff] = await Promise.all([
    readVersion(workflowId, from),
    readVersion(workflowId, to),
    unwrap(api.GET("/v1/workflows/{workflow_id}/diff", { params: { path: { workflow_id: workflowId }, query: { from, to } } })),
  ]);
  const drawn = diffCanvas(before, after, diff);
  const placed = [...before.nodes, ...after.nodes].every((node) => node.position) ? drawn.nodes : await autoLayout(drawn.nodes, drawn.edges);
  return { from, to, diff, nodes: placed, edges: drawn.edges };
}

/** Published versions (note, who, when, cost), a diff between two, and rollback with a confirmation. */
export function VersionsPanel({
  workflowId,
  mode,
  canRollback,
  refresh,
  onDiff,
  onRolledBack,
}: {
  workflowId: string;
  mode: "standard" | "express";
  canRollback: boolean;
  refresh: number;
  onDiff: (diff: VersionDiff) => void;
  onRolledBack: (version: number, definition: WorkflowDocument) => void;
}) {
  const versions = useLoad(
    () => unwrap(api.GET("/v1/workflows/{workflow_id}/versions", { params: { path: { workflow_id: workflowId }, query: { limit: 100 } } })),
    [workflowId, refresh],
  );
  const items = versions.data?.items;
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [error, busy, run] = useAction();
  const older = from ?? items?.[1]?.version ?? null;
  const newer = to ?? items?.[0]?.version ?? null;

  async function rollback(version: number) {
    await unwrap(api.POST("/v1/workflows/{workflow_id}/rollback", { params: { path: { workflow_id: workflowId } }, body: { version } }));
    setConfirming(null);
    onRolledBack(version, await readVersion(workflowId, version));
    versions.reload();
  }

  const choices = (items ?? []).map((item) => (
    <option key={item.version} value={item.version}>
      v{item.version}
    </option>
  ));
  return (
    <section className="versions" aria-label="Versions">
      <h2>Versions</h2>
      <ListState loaded={versions} items={items} empty="Not published yet.">
        {(list) => (
          <>
            {list.length > 1 && (
              <div className="inline-form">
                <label>
                  From
                  <select value={older ?? ""} onChange={(event) => setFrom(Number(event.target.value))}>
                    {choices}
                  </select>
                </label>
                <label>
                  To
                  <select value={newer ?? ""} onChange={(event) => setTo(Number(event.target.value))}>
                    {choices}
                  </select>
                </label>
                <button
                  type="button"
                  disabled={busy || older === null || newer === null || older === newer}
                  onClick={() => void run(async () => onDiff(await loadVersionDiff(workflowId, older as number, newer as number)))}
                >
                  Show diff
                </button>
              </div>
            )}
            <ol className="cards version-list">
              {list.map((item) => (
                <li key={item.version} className="card" data-testid={`version-${item.version}`}>
                  <strong>v{item.version}</strong> {item.live && <span className="badge status-succeeded">live</span>}
                  <p>{item.note || <span className="muted">(no note)</span>}</p>
                  <p className="muted">
                    {item.published_by}, {formatTime(item.published_at)}
                  </p>
                  <p data-testid="version-cost">{costSummary(item.cost, mode)}</p>
                  {!item.live && canRollback && confirming !== item.version && (
                    <button type="button" disabled={busy} onClick={() => setConfirming(item.version)}>
                      Roll back to v{item.version}
                    </button>
                  )}
                  {confirming === item.version && (
                    <div role="alertdialog" aria-label={`Roll back to v${item.version}`} className="confirm">
                      <p>Make v{item.version} live again? Its graph becomes the draft.</p>
                      <button type="button" disabled={busy} onClick={() => void run(() => rollback(item.version))}>
                        Confirm rollback
                      </button>{" "}
                      <button type="button" onClick={() => setConfirming(null)}>
                        Cancel
                      </button>
                    </div>
                  )}
                </li>
              ))}
            </ol>
          </>
        )}
      </ListState>
      <ProblemView error={error} />
    </section>
  );
}

/** The diff between two versions on a read-only canvas, with each changed node's fields listed. */
export function DiffCanvas({ shown, onClose }: { shown: VersionDiff; onClose: () => void }) {
  const { diff } = shown;
  return (
    <div className="diff-view" aria-label={`Diff v${shown.from} to v${shown.to}`}>
      <div className="toolbar">
        <strong>
          Diff v{shown.from} → v{shown.to}
        </strong>
        <span className="legend diff-added">added</span>
        <span className="legend diff-changed">changed</span>
        <span className="legend diff-removed">removed</span>
        <button type="button" onClick={onClose}>
          Close diff
        </button>
      </div>
      <div className="canvas" data-testid="diff-canvas">
        <ReactFlowProvider>
          <ReactFlow nodes={shown.nodes} edges={shown.edges} nodeTypes={nodeTypes} nodesDraggable={false} nodesConnectable={false} fitView fitViewOptions={{ maxZoom: 1 }}>
            <Background />
            <Controls />
          </ReactFlow>
        </ReactFlowProvider>
      </div>
      <ul className="diff-fields" aria-label="Changed fields">
        {diff.nodes_changed.map((change) => (
          <li key={change.id}>
            <code>{change.id}</code>: {change.fields.join(", ")}
          </li>
        ))}
        {diff.changes.map((change) => (
          <li key={change.field}>
            <code>{change.field}</code>: {JSON.stringify(change.before)} → {JSON.stringify(change.after)}
          </li>
        ))}
      </ul>
    </div>
  );
}
