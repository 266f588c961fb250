import { describe, expect, it } from "vitest";

import { pinFindings, toFlow, toWorkflow } from "./mapping";
import { connectionProblem, newNodeId, portsOf, type WorkflowDocument } from "./workflow";

const document: WorkflowDocument = {
  name: "health",
  description: "checks",
  nodes: [
    { id: "start", type: "manual", position: { x: 0, y: 0 } },
    { id: "check", type: "condition", params: { expression: "$states.input.ok" }, position: { x: 200, y: 0 } },
    { id: "good", type: "succeed", position: { x: 400, y: -60 } },
    { id: "bad", type: "fail", params: { error: "Down" }, position: { x: 400, y: 60 } },
  ],
  edges: [
    { from: "start", to: "check" },
    { from: "check", port: "true", to: "good" },
    { from: "check", port: "false", to: "bad" },
  ],
};

describe("graph ↔ workflow JSON", () => {
  it("round-trips a document through the canvas unchanged", () => {
    const { nodes, edges } = toFlow(document);
    expect(toWorkflow(document, nodes, edges)).toEqual(document);
  });

  it("draws named ports as edge handles and leaves the default port implicit", () => {
    const { edges } = toFlow(document);
    expect(edges.map((edge) => [edge.source, edge.sourceHandle, edge.target])).toEqual([
      ["start", "out", "check"],
      ["check", "true", "good"],
      ["check", "false", "bad"],
    ]);
    expect(toWorkflow(document, toFlow(document).nodes, edges).edges[0]).toEqual({ from: "start", to: "check" });
  });

  it("keeps positions in whole pixels after a drag", () => {
    const { nodes, edges } = toFlow(document);
    nodes[0] = { ...nodes[0], position: { x: 10.6, y: 20.2 } };
    expect(toWorkflow(document, nodes, edges).nodes[0].position).toEqual({ x: 11, y: 20 });
  });
});

describe("connection rules (the server's validation, while dragging)", () => {
  it("knows each type's ports, the error port only with on_error=error_output", () => {
    expect(portsOf({ type: "condition" })).toEqual(["true", "false"]);
    expect(portsOf({ type: "switch", params: { cases: [{ port: "eu" }] } })).toEqual(["eu", "default"]);
    expect(portsOf({ type: "fail" })).toEqual([]);
    expect(portsOf({ type: "http_request", on_error: "error_output" })).toEqual(["out", "error"]);
  });

  it("refuses a trigger as target, a taken port, a cycle and a self-loop", () => {
    expect(connectionProblem(document, "check", "true", "start")).toMatch("is a trigger");
    expect(connectionProblem(document, "check", "true", "bad")).toMatch("already leads on");
    expect(connectionProblem(document, "check", "nope", "bad")).toMatch("has no port nope");
    expect(connectionProblem(document, "check", "true", "check")).toMatch("itself");
    const chain = { nodes: [...document.nodes, { id: "x", type: "transform" }], edges: [{ from: "check", port: "true", to: "x" }] };
    expect(connectionProblem({ ...chain, edges: [...chain.edges, { from: "start", to: "check" }] }, "x", "out", "check")).toMatch("cycle");
  });

  it("lets a parallel node fan out from one port", () => {
    const fork = {
      nodes: [{ id: "p", type: "parallel" }, { id: "a", type: "transform" }, { id: "b", type: "transform" }],
      edges: [{ from: "p", to: "a" }],
    };
    expect(connectionProblem(fork, "p", "out", "b")).toBeNull();
  });

  it("names new nodes by type, unique and of the schema's id pattern", () => {
    expect(newNodeId("transform", ["transform_1"])).toBe("transform_2");
    expect(newNodeId("http_request", [])).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,63}$/);
  });
});

describe("validation findings", () => {
  it("pins each JSON pointer to its node and field; the rest stays general", () => {
    const pinned = pinFindings(
      [
        { name: "/nodes/1/params/expression", reason: "JSONata does not parse" },
        { name: "/nodes/3/type", reason: "one trigger" },
        { name: "/edges/2/to", reason: "no node" },
        { name: "/settings/timeout_seconds", reason: "too long" },
      ],
      document,
    );
    expect(pinned.byNode.get("check")).toEqual([{ field: "expression", reason: "JSONata does not parse" }]);
    expect(pinned.byNode.get("bad")).toEqual([
      { field: "type", reason: "one trigger" },
      { field: "edges", reason: "no node" },
    ]);
    expect(pinned.general).toEqual(["/settings/timeout_seconds: too long"]);
  });
});
