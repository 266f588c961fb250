import { describe, expect, it } from "vitest";

// The schema GET /v1/workflow-schema serves, as committed.
import committedSchema from "../../../shared/workflows/workflow.schema.json";
import { fieldsOf, formatFieldValue, nodeParamSchemas, parseFieldInput, type JsonSchema } from "./schema";

const workflowSchema = committedSchema as JsonSchema;
const defs = workflowSchema.$defs ?? {};
const types = nodeParamSchemas(workflowSchema);

describe("forms from the node parameter schemas", () => {
  it("finds every node type the schema declares", () => {
    expect([...types.keys()]).toEqual(expect.arrayContaining(["manual", "transform", "http_request", "approval", "switch"]));
  });

  it("makes one field per parameter with its kind, requiredness, choices and bounds", () => {
    const fields = fieldsOf(types.get("http_request") as JsonSchema, defs);
    const byName = Object.fromEntries(fields.map((field) => [field.name, field]));
    expect(byName.method).toMatchObject({ kind: "choice", required: false, default: "GET" });
    expect(byName.method.choices).toContain("POST");
    expect(byName.max_response_bytes).toMatchObject({ kind: "integer", minimum: 1, maximum: 250000 });
    expect(byName.credential).toMatchObject({ kind: "text", nullable: true });
    expect(byName.headers.kind).toBe("json");
    expect(fieldsOf(types.get("transform") as JsonSchema, defs)[0]).toMatchObject({
      name: "expression",
      kind: "expression",
      required: true,
    });
  });

  it("gives a type the console has never seen a form from its schema alone", () => {
    const schema: JsonSchema = {
      $defs: {
        Node: { allOf: [{ if: { properties: { type: { const: "translate" } } }, then: { properties: { params: { $ref: "#/$defs/TranslateParams" } } } }] },
        TranslateParams: { properties: { target: { type: "string", enum: ["de", "fr"] }, polite: { type: "boolean" } }, required: ["target"] },
      },
    };
    const translate = nodeParamSchemas(schema).get("translate") as JsonSchema;
    expect(fieldsOf(translate).map((field) => [field.name, field.kind, field.required])).toEqual([
      ["target", "choice", true],
      ["polite", "boolean", false],
    ]);
  });

  it("parses what is typed into the params value, refusing what the kind cannot hold", () => {
    const [integer, json] = [
      { name: "n", label: "N", kind: "integer", required: false, nullable: false } as const,
      { name: "h", label: "Headers", kind: "json", required: false, nullable: false } as const,
    ];
    expect(parseFieldInput(integer, "12")).toEqual({ value: 12 });
    expect(parseFieldInput(integer, "1.5").error).toMatch("whole number");
    expect(parseFieldInput(integer, "")).toEqual({});
    expect(parseFieldInput(json, '{"a": "b"}')).toEqual({ value: { a: "b" } });
    expect(parseFieldInput(json, "{").error).toMatch("must be JSON");
    expect(formatFieldValue(json, { a: 1 })).toBe('{\n  "a": 1\n}');
  });
});
