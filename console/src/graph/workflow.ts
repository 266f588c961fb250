// The workflow document as the API reads it (shared/workflows/workflow.schema.json) and the rules of its graph
// that the server's validation also applies (shared/workflows/validation.py): ports, triggers, no cycles.

export interface WorkflowNode {
  id: string;
  type: string;
  name?: string | null;
  params?: Record<string, unknown>;
  retry?: Record<string, unknown>;
  on_error?: "stop" | "continue" | "error_output";
  timeout_seconds?: number | null;
  position?: { x: number; y: number } | null;
}

export interface WorkflowEdge {
  from: string;
  port?: string;
  to: string;
}

export interface WorkflowDocument {
  name: string;
  description?: string | null;
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
  settings?: Record<string, unknown>;
}

export const DEFAULT_PORT = "out";
export const ERROR_PORT = "error";

const TRIGGERS = new Set(["manual", "webhook", "schedule"]);
const FORKS = new Set(["parallel"]);
const LOGIC = new Set(["condition", "switch", "parallel", "join", "loop", "wait", "succeed", "fail"]);

export type Category = "Triggers" | "Logic" | "Actions";
export const CATEGORIES: Category[] = ["Triggers", "Actions", "Logic"];

/** A type the console does not know yet is an action: it still gets its form from the schema. */
export function categoryOf(type: string): Category {
  if (TRIGGERS.has(type)) return "Triggers";
  if (LOGIC.has(type)) return "Logic";
  return "Actions";
}

export function isTrigger(type: string): boolean {
  return TRIGGERS.has(type);
}

export function portsOf(node: Pick<WorkflowNode, "type" | "params" | "on_error">): string[] {
  const params = node.params ?? {};
  let ports: string[];
  switch (node.type) {
    case "condition":
      ports = ["true", "false"];
      break;
    case "switch": {
      const cases = Array.isArray(params.cases) ? (params.cases as { port?: unknown }[]) : [];
      ports = [...cases.map((c) => String(c.port ?? "")).filter(Boolean), "default"];
      break;
    }
    case "loop":
      ports = ["body", DEFAULT_PORT];
      break;
    case "succeed":
    case "fail":
      ports = [];
      break;
    default:
      ports = [DEFAULT_PORT];
  }
  return node.on_error === "error_output" ? [...ports, ERROR_PORT] : ports;
}

/** Why connecting `from`'s `port` to `to` would be refused by the server's validation, or null when it is fine. */
export function connectionProblem(
  document: Pick<WorkflowDocument, "nodes" | "edges">,
  from: string,
  port: string,
  to: string,
): string | null {
  const byId = new Map(document.nodes.map((node) => [node.id, node]));
  const source = byId.get(from);
  const target = byId.get(to);
  if (!source || !target) return "both ends must be nodes";
  if (from === to) return "a node cannot lead into itself";
  if (!portsOf(source).includes(port)) return `node ${from} has no port ${port}`;
  if (isTrigger(target.type)) return `${to} is a trigger: nothing can lead into it`;
  const portTaken = document.edges.some((edge) => edge.from === from && (edge.port ?? DEFAULT_PORT) === port);
  if (portTaken && !(FORKS.has(source.type) && port !== ERROR_PORT)) return `port ${port} of ${from} already leads on`;
  if (reaches(document.edges, to, from)) return `${from} → ${to} would close a cycle; repeat work with a loop node`;
  return null;
}

function reaches(edges: WorkflowEdge[], start: string, goal: string): boolean {
  const seen = new Set([start]);
  const stack = [start];
  while (stack.length) {
    const current = stack.pop() as string;
    if (current === goal) return true;
    for (const edge of edges) {
      if (edge.from === current && !seen.has(edge.to)) {
        seen.add(edge.to);
        stack.push(edge.to);
      }
    }
  }
  return false;
}

/** An id for a new node of `type`, unique in the document and of the id pattern the schema requires. */
export function newNodeId(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base = type.replace(/[^A-Za-z0-9_]/g, "_").replace(/^[^A-Za-z]+/, "") || "node";
  for (let n = 1; ; n += 1) {
    const candidate = `${base}_${n}`;
    if (!used.has(candidate)) return candidate;
  }
}
