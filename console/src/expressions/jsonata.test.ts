import { describe, expect, it } from "vitest";

import { completionsAt, pathsOf, sampleInputOf, tokenize } from "./jsonata";

const kinds = (text: string) => tokenize(text).map((token) => [text.slice(token.from, token.to), token.kind]);

describe("JSONata highlighting", () => {
  it("tells variables, paths, strings, numbers, keywords and operators apart", () => {
    expect(kinds("$merge([$states.input, {'done': true, \"n\": 2.5}])")).toEqual([
      ["$merge", "variable"],
      ["(", "punctuation"],
      ["[", "punctuation"],
      ["$states", "variable"],
      [".", "punctuation"],
      ["input", "name"],
      [",", "punctuation"],
      ["{", "punctuation"],
      ["'done'", "string"],
      [":", "punctuation"],
      ["true", "keyword"],
      [",", "punctuation"],
      ['"n"', "string"],
      [":", "punctuation"],
      ["2.5", "number"],
      ["}", "punctuation"],
      ["]", "punctuation"],
      [")", "punctuation"],
    ]);
  });

  it("keeps escaped quotes inside a string, comments whole, and two-character operators together", () => {
    expect(kinds("'it\\'s' /* note */ & $x != 1 ~> $string()")).toEqual([
      ["'it\\'s'", "string"],
      ["/* note */", "comment"],
      ["&", "operator"],
      ["$x", "variable"],
      ["!=", "operator"],
      ["1", "number"],
      ["~>", "operator"],
      ["$string", "variable"],
      ["(", "punctuation"],
      [")", "punctuation"],
    ]);
  });

  it("ends an unterminated string at the end instead of failing", () => {
    expect(kinds("'open")).toEqual([["'open", "string"]]);
  });
});

describe("completion from the last execution's data", () => {
  const sample = { order: { id: 7, "line items": [{ sku: "A1" }] }, ok: true };

  it("lists every path of the sample with its type, odd keys quoted and arrays by their first item", () => {
    expect(pathsOf(sample)).toEqual([
      { path: "$states.input", detail: "object" },
      { path: "$states.input.order", detail: "object" },
      { path: "$states.input.order.id", detail: "number" },
      { path: "$states.input.order.`line items`", detail: "array(1)" },
      { path: "$states.input.order.`line items`[0].sku", detail: "string" },
      { path: "$states.input.ok", detail: "boolean" },
    ]);
  });

  it("offers the paths that continue what is typed, then matching functions", () => {
    const found = completionsAt("$merge([$states.input.or", pathsOf(sample));
    expect(found?.from).toBe(8);
    expect(found?.options.map((option) => option.label)).toEqual([
      "$states.input.order",
      "$states.input.order.id",
      "$states.input.order.`line items`",
      "$states.input.order.`line items`[0].sku",
    ]);
    expect(completionsAt("$cou", [])?.options.map((option) => option.label)).toEqual(["$count"]);
    expect(completionsAt("{'a': 1", pathsOf(sample))).toBeNull();
  });

  it("takes a node's own input from the last run, else what the node before it put out", () => {
    const steps = [
      { node_id: "start", input: { name: "Ada" }, output: { name: "Ada" } },
      { node_id: "shape", input: { name: "Ada" }, output: { greeting: "hi Ada" } },
    ];
    const edges = [
      { from: "start", to: "shape" },
      { from: "shape", to: "added_later" },
    ];
    expect(sampleInputOf("shape", steps, edges)).toEqual({ name: "Ada" });
    expect(sampleInputOf("added_later", steps, edges)).toEqual({ greeting: "hi Ada" });
    expect(sampleInputOf("elsewhere", steps, edges)).toBeUndefined();
  });
});
