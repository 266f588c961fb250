import { Handle, Position, type NodeProps } from "@xyflow/react";

import type { ForgeNode } from "./mapping";
import { isTrigger, portsOf } from "./workflow";

/** One workflow node on the canvas: its type and id, an input handle unless a trigger, a handle per output port. */
export function NodeView({ data, selected }: NodeProps<ForgeNode>) {
  const { node, findings, status, failed, diff, changedFields, tested } = data;
  const ports = portsOf(node);
  const classes = ["forge-node"];
  if (selected) classes.push("selected");
  if (findings?.length) classes.push("has-findings");
  if (status) classes.push(`status-${status.toLowerCase()}`);
  if (failed) classes.push("failed");
  if (diff) classes.push(`diff-${diff}`);
  return (
    <div
      className={classes.join(" ")}
      data-testid={`node-${node.id}`}
      data-status={status ?? ""}
      aria-label={`${node.type} node ${node.id}${status ? `, ${status.toLowerCase()}` : ""}${failed ? ", failed here" : ""}${diff ? `, ${diff}` : ""}`}
      data-diff={diff ?? ""}
    >
      {!isTrigger(node.type) && <Handle type="target" position={Position.Left} id="in" />}
      <div className="node-type">{node.type}</div>
      <div className="node-id">{node.name || node.id}</div>
      {status && <div className="node-status">{status}</div>}
      {tested && (
        <div className={`node-tested tested-${tested.status.toLowerCase()}`} data-testid={`tested-${node.id}`} role="note">
          <span>
            {tested.status} · {tested.durationMs ?? "—"} ms
          </span>
          <code className="node-output" title={JSON.stringify(tested.output, null, 2)}>
            {previewOf(tested.output)}
          </code>
        </div>
      )}
      {diff && (
        <div className="node-diff">
          {diff}
          {changedFields?.length ? `: ${changedFields.join(", ")}` : ""}
        </div>
      )}
      {findings && findings.length > 0 && (
        <div className="node-findings" role="note" title={findings.join("\n")}>
          {findings.length} problem{findings.length > 1 ? "s" : ""}
        </div>
      )}
      {ports.map((port, index) => (
        <Handle
          key={port}
          type="source"
          position={Position.Right}
          id={port}
          style={{ top: `${((index + 1) * 100) / (ports.length + 1)}%` }}
          title={port}
        >
          {ports.length > 1 && <span className="port-label">{port}</span>}
        </Handle>
      ))}
    </div>
  );
}

export const nodeTypes = { forge: NodeView };

const PREVIEW_CHARS = 60;

function previewOf(output: unknown): string {
  const text = JSON.stringify(output) ?? "null";
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}
