import type { Edge } from "@xyflow/react";
import type { ELK as Elk } from "elkjs/lib/elk-api";

import type { ForgeNode } from "./mapping";

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 64;

let elk: Promise<Elk> | undefined;

// elkjs is most of the canvas's weight: loaded only when something needs laying out, not to open a saved workflow.
function loadElk(): Promise<Elk> {
  elk ??= import("elkjs/lib/elk.bundled.js").then(({ default: ELK }) => new ELK());
  return elk;
}

/** The nodes placed left to right in layers by elkjs, edges routed between them. */
export async function autoLayout(nodes: ForgeNode[], edges: Edge[]): Promise<ForgeNode[]> {
  const laidOut = await (await loadElk()).layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": "40",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
    },
    children: nodes.map((node) => ({ id: node.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    edges: edges.map((edge) => ({ id: edge.id, sources: [edge.source], targets: [edge.target] })),
  });
  const placed = new Map((laidOut.children ?? []).map((child) => [child.id, child]));
  return nodes.map((node) => {
    const child = placed.get(node.id);
    return child ? { ...node, position: { x: child.x ?? 0, y: child.y ?? 0 } } : node;
  });
}
