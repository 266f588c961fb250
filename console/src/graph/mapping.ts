import type { Edge, Node } from "@xyflow/react";

import type { DiffMark } from "./diff";
import type { WorkflowDocument, WorkflowEdge, WorkflowNode } from "./workflow";
import { DEFAULT_PORT } from "./workflow";

export type StepStatus = "RUNNING" | "SUCCEEDED" | "FAILED";

export interface ForgeNodeData extends Record<string, unknown> {
  node: WorkflowNode;
  findings?: string[];
  status?: StepStatus;
  failed?: boolean;
  selected?: boolean;
  diff?: DiffMark;
  changedFields?: string[];
  tested?: TestedStep;
}

/** A node's step in the builder's last test run, drawn on it. */
export interface TestedStep {
  status: StepStatus;
  durationMs: number | null;
  output: unknown;
}

export type ForgeNode = Node<ForgeNodeData, "forge">;

export function edgeId(edge: WorkflowEdge): string {
  return `${edge.from}:${edge.port ?? DEFAULT_PORT}->${edge.to}`;
}

/** The canvas of a workflow document: one node per workflow node (at its saved position), one edge per edge. */
export function toFlow(document: Pick<WorkflowDocument, "nodes" | "edges">): { nodes: ForgeNode[]; edges: Edge[] } {
  const nodes = document.nodes.map((node, index): ForgeNode => {
    const { position, ...rest } = node;
    return {
      id: node.id,
      type: "forge",
      position: position ?? { x: 0, y: index * 120 },
      data: { node: rest },
    };
  });
  const edges = document.edges.map(
    (edge): Edge => ({
      id: edgeId(edge),
      source: edge.from,
      sourceHandle: edge.port ?? DEFAULT_PORT,
      target: edge.to,
      label: (edge.port ?? DEFAULT_PORT) === DEFAULT_PORT ? undefined : edge.port,
    }),
  );
  return { nodes, edges };
}

/** The workflow document of a canvas: positions rounded to whole pixels, the default port left implicit. */
export function toWorkflow(
  meta: Pick<WorkflowDocument, "name" | "description" | "settings">,
  nodes: ForgeNode[],
  edges: Edge[],
): WorkflowDocument {
  const document: WorkflowDocument = {
    name: meta.name,
    nodes: nodes.map((node) => ({
      ...node.data.node,
      position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
    })),
    edges: edges.map((edge) => {
      const port = edge.sourceHandle ?? DEFAULT_PORT;
      return port === DEFAULT_PORT ? { from: edge.source, to: edge.target } : { from: edge.source, port, to: edge.target };
    }),
  };
  if (meta.description) document.description = meta.description;
  if (meta.settings) document.settings = meta.settings;
  return document;
}

export interface PinnedFindings {
  byNode: Map<string, { field: string; reason: string }[]>;
  general: string[];
}

/** Each validation finding on the node its JSON pointer names (`/nodes/2/params/url` → node 2, field `url`). */
export function pinFindings(
  invalidParams: { name: string; reason: string }[],
  document: Pick<WorkflowDocument, "nodes" | "edges">,
): PinnedFindings {
  const byNode = new Map<string, { field: string; reason: string }[]>();
  const general: string[] = [];
  for (const { name, reason } of invalidParams) {
    const parts = name.replace(/^\/body/, "").split("/").slice(1);
    let nodeId: string | undefined;
    let field = "";
    if (parts[0] === "nodes" && parts.length > 1) {
      nodeId = document.nodes[Number(parts[1])]?.id;
      field = parts[2] === "params" ? (parts[3] ?? "params") : (parts[2] ?? "");
    } else if (parts[0] === "edges" && parts.length > 1) {
      const edge = document.edges[Number(parts[1])];
      nodeId = edge && (parts[2] === "to" ? edge.to : edge.from);
      field = "edges";
    }
    if (nodeId === undefined) {
      general.push(`${name || "/"}: ${reason}`);
      continue;
    }
    const list = byNode.get(nodeId) ?? [];
    list.push({ field, reason });
    byNode.set(nodeId, list);
  }
  return { byNode, general };
}
