import { describe, expect, it } from "vitest";

import { copySelection, pasteCopies } from "./clipboard";
import { toFlow, toWorkflow } from "./mapping";

describe("copy and paste of nodes", () => {
  it("pastes the selected nodes and the edges between them under new ids, beside the originals", () => {
    const { nodes, edges } = toFlow({
      nodes: [
        { id: "start", type: "manual", position: { x: 0, y: 0 } },
        { id: "transform_1", type: "transform", params: { expression: "1" }, position: { x: 200, y: 0 } },
        { id: "check", type: "condition", params: { expression: "true" }, position: { x: 400, y: 0 } },
      ],
      edges: [
        { from: "start", to: "transform_1" },
        { from: "transform_1", to: "check" },
      ],
    });
    nodes[1].selected = true;
    nodes[2].selected = true;
    const pasted = pasteCopies(copySelection(nodes, edges), nodes);
    const document = toWorkflow({ name: "x" }, pasted.nodes, pasted.edges);
    expect(document.nodes.map((node) => [node.id, node.type, node.params, node.position])).toEqual([
      ["transform_2", "transform", { expression: "1" }, { x: 240, y: 40 }],
      ["condition_1", "condition", { expression: "true" }, { x: 440, y: 40 }],
    ]);
    expect(document.edges).toEqual([{ from: "transform_2", to: "condition_1" }]);
  });
});
