import type { Edge } from "@xyflow/react";

import { edgeId, type ForgeNode } from "./mapping";
import { newNodeId } from "./workflow";

export interface Copied {
  nodes: ForgeNode[];
  edges: Edge[];
}

const PASTE_OFFSET = 40;

/** The selected nodes and the edges between them. */
export function copySelection(nodes: ForgeNode[], edges: Edge[]): Copied {
  const chosen = nodes.filter((node) => node.selected);
  const ids = new Set(chosen.map((node) => node.id));
  return { nodes: chosen, edges: edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target)) };
}

/** Copies of `copied` beside the originals, under new ids unique in `existing`; they become the selection. */
export function pasteCopies(copied: Copied, existing: ForgeNode[]): Copied {
  const taken = existing.map((node) => node.id);
  const renamed = new Map<string, string>();
  for (const node of copied.nodes) {
    const id = newNodeId(node.data.node.type, [...taken, ...renamed.values()]);
    renamed.set(node.id, id);
  }
  const nodes = copied.nodes.map(
    (node): ForgeNode => ({
      ...node,
      id: renamed.get(node.id) as string,
      selected: true,
      position: { x: node.position.x + PASTE_OFFSET, y: node.position.y + PASTE_OFFSET },
      data: { node: { ...node.data.node, id: renamed.get(node.id) as string } },
    }),
  );
  const edges = copied.edges.map((edge): Edge => {
    const from = renamed.get(edge.source) as string;
    const to = renamed.get(edge.target) as string;
    const port = edge.sourceHandle ?? "out";
    return { ...edge, id: edgeId({ from, port, to }), source: from, target: to };
  });
  return { nodes, edges };
}
