import type { Edge } from "@xyflow/react";

import type { Schemas } from "../api/client";
import { edgeId, toFlow, type ForgeNode } from "./mapping";
import { DEFAULT_PORT, type WorkflowDocument } from "./workflow";

export type DiffMark = "added" | "removed" | "changed";

/** Two versions drawn as one canvas: the newer graph, plus what the older had and lost, each change marked. */
export function diffCanvas(
  before: WorkflowDocument,
  after: WorkflowDocument,
  diff: Schemas["WorkflowDiff"],
): { nodes: ForgeNode[]; edges: Edge[] } {
  const older = toFlow(before);
  const newer = toFlow(after);
  const added = new Set(diff.nodes_added);
  const changed = new Map(diff.nodes_changed.map((change) => [change.id, change.fields]));
  const removed = new Set(diff.nodes_removed);
  const nodes: ForgeNode[] = [
    ...newer.nodes.map((node) => {
      const mark: DiffMark | undefined = added.has(node.id) ? "added" : changed.has(node.id) ? "changed" : undefined;
      return mark ? { ...node, data: { ...node.data, diff: mark, changedFields: changed.get(node.id) } } : node;
    }),
    ...older.nodes
      .filter((node) => removed.has(node.id))
      .map((node): ForgeNode => ({ ...node, data: { ...node.data, diff: "removed" } })),
  ];
  const keyOf = (edge: Record<string, string>) => edgeId({ from: edge.from, port: edge.port ?? DEFAULT_PORT, to: edge.to });
  const addedEdges = new Set(diff.edges_added.map(keyOf));
  const removedEdges = new Set(diff.edges_removed.map(keyOf));
  const edges: Edge[] = [
    ...newer.edges.map((edge) => (addedEdges.has(edge.id) ? marked(edge, "added") : edge)),
    ...older.edges.filter((edge) => removedEdges.has(edge.id)).map((edge) => marked(edge, "removed")),
  ];
  return { nodes, edges };
}

function marked(edge: Edge, mark: DiffMark): Edge {
  return { ...edge, className: `diff-${mark}`, ariaLabel: `${mark} edge ${edge.id}`, data: { diff: mark } };
}
