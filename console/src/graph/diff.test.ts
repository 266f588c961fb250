import { describe, expect, it } from "vitest";

import { diffCanvas } from "./diff";
import type { WorkflowDocument } from "./workflow";

const before: WorkflowDocument = {
  name: "orders",
  nodes: [
    { id: "start", type: "manual", position: { x: 0, y: 0 } },
    { id: "shape", type: "transform", params: { expression: "$states.input" }, position: { x: 200, y: 0 } },
    { id: "notify", type: "http", params: { url: "https://example.test" }, position: { x: 400, y: 0 } },
  ],
  edges: [
    { from: "start", to: "shape" },
    { from: "shape", to: "notify" },
  ],
};

const after: WorkflowDocument = {
  name: "orders",
  nodes: [
    { id: "start", type: "manual", position: { x: 0, y: 0 } },
    { id: "shape", type: "transform", params: { expression: "$states.input.order" }, position: { x: 200, y: 0 } },
    { id: "done", type: "succeed", position: { x: 400, y: 0 } },
  ],
  edges: [
    { from: "start", to: "shape" },
    { from: "shape", to: "done" },
  ],
};

// What GET /v1/workflows/{id}/diff answers for these two documents (shared/workflows/diff.py).
const diff = {
  nodes_added: ["done"],
  nodes_removed: ["notify"],
  nodes_changed: [{ id: "shape", fields: ["params"] }],
  edges_added: [{ from: "shape", port: "out", to: "done" }],
  edges_removed: [{ from: "shape", port: "out", to: "notify" }],
  changes: [],
};

describe("version diff on the canvas", () => {
  const drawn = diffCanvas(before, after, diff);
  const markOf = (id: string) => drawn.nodes.find((node) => node.id === id)?.data.diff;

  it("marks added, changed and removed nodes, keeping the removed one drawn", () => {
    expect(drawn.nodes.map((node) => node.id)).toEqual(["start", "shape", "done", "notify"]);
    expect([markOf("start"), markOf("shape"), markOf("done"), markOf("notify")]).toEqual([undefined, "changed", "added", "removed"]);
  });

  it("lists a changed node's fields on it", () => {
    expect(drawn.nodes.find((node) => node.id === "shape")?.data.changedFields).toEqual(["params"]);
  });

  it("colours added and removed edges, unchanged ones left plain", () => {
    expect(drawn.edges.map((edge) => [edge.id, edge.className])).toEqual([
      ["start:out->shape", undefined],
      ["shape:out->done", "diff-added"],
      ["shape:out->notify", "diff-removed"],
    ]);
  });
});
