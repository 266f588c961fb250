import { describe, expect, it } from "vitest";

import { fieldsOf } from "../forms/schema";
import { highlightSegments, parametersSchema, searchQuery, toggleFilter } from "./search";

describe("highlights", () => {
  it("marks the matched words and unescapes the rest as text", () => {
    expect(highlightSegments("Alerts &amp; <mark>tides</mark> for &lt;harbours&gt;")).toEqual([
      { text: "Alerts & ", marked: false },
      { text: "tides", marked: true },
      { text: " for <harbours>", marked: false },
    ]);
  });

  it("keeps any other tag as text, so nothing but <mark> can become markup", () => {
    const segments = highlightSegments('<img src=x onerror="alert(1)"><mark><b>x</b></mark>&#60;script&#x3e;');
    expect(segments).toEqual([
      { text: '<img src=x onerror="alert(1)">', marked: false },
      { text: "<b>x</b>", marked: true },
      { text: "<script>", marked: false },
    ]);
  });

  it("survives stray and unbalanced marks and unknown entities", () => {
    expect(highlightSegments("a</mark>b<mark>c")).toEqual([
      { text: "a</mark>b", marked: false },
      { text: "c", marked: true },
    ]);
    expect(highlightSegments("&bogus; &#0;")).toEqual([{ text: "&bogus; &#0;", marked: false }]);
  });
});

describe("the search query", () => {
  it("sends the trimmed words, the mode, each chosen facet and the cursor", () => {
    expect(
      searchQuery("  low tide ", "hybrid", { kind: "workflow_template", publisher: "tides", verified: "true" }, "c1"),
    ).toEqual({ q: "low tide", mode: "hybrid", kind: "workflow_template", publisher: "tides", verified: true, cursor: "c1" });
  });

  it("leaves out blank words, unknown kinds and values that are not booleans for verified", () => {
    expect(searchQuery("   ", "keyword", { kind: "plugin", verified: "yes", license: "MIT", category: "" })).toEqual({
      mode: "keyword",
      license: "MIT",
    });
    expect(searchQuery("x", "semantic", { verified: "false" })).toEqual({ q: "x", mode: "semantic", verified: false });
  });

  it("chooses a facet value and clears it when chosen again", () => {
    const chosen = toggleFilter({ kind: "agent" }, "license", "MIT");
    expect(chosen).toEqual({ kind: "agent", license: "MIT" });
    expect(toggleFilter(chosen, "license", "MIT")).toEqual({ kind: "agent" });
    expect(toggleFilter(chosen, "kind", "connector")).toEqual({ kind: "connector", license: "MIT" });
  });
});

describe("a template's parameters as a form", () => {
  it("makes one field per parameter with its type, default and requiredness", () => {
    const fields = fieldsOf(
      parametersSchema([
        { name: "team", json_schema: { type: "string", maxLength: 40 }, required: true },
        { name: "threshold", json_schema: { type: "number" }, default: 0.5, required: false, description: "metres" },
        { name: "anything" },
      ]),
    );
    expect(fields.map(({ name, kind, required, default: value }) => ({ name, kind, required, value }))).toEqual([
      { name: "team", kind: "text", required: true, value: undefined },
      { name: "threshold", kind: "number", required: false, value: 0.5 },
      { name: "anything", kind: "text", required: true, value: undefined },
    ]);
    expect(fields[1].description).toBe("metres");
  });
});
