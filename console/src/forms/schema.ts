// Forms generated from the node parameter JSON Schemas of GET /v1/workflow-schema: a new node type gets its form
// (and its place in the library) with no console change.

export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  if?: JsonSchema;
  then?: JsonSchema;
  $defs?: Record<string, JsonSchema>;
};

export type FieldKind = "text" | "expression" | "integer" | "number" | "boolean" | "choice" | "json";

export interface Field {
  name: string;
  label: string;
  description?: string;
  kind: FieldKind;
  required: boolean;
  nullable: boolean;
  choices?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
}

/** The parameter schema of each node type, read from the Node definition's `if type = X then params: $ref`. */
export function nodeParamSchemas(workflowSchema: JsonSchema): Map<string, JsonSchema> {
  const defs = workflowSchema.$defs ?? {};
  const types = new Map<string, JsonSchema>();
  for (const rule of defs.Node?.allOf ?? []) {
    const type = rule.if?.properties?.type?.const;
    const params = rule.then?.properties?.params;
    if (typeof type === "string" && params) types.set(type, resolve(params, defs));
  }
  return types;
}

function resolve(schema: JsonSchema, defs: Record<string, JsonSchema>): JsonSchema {
  if (schema.$ref) return defs[schema.$ref.replace("#/$defs/", "")] ?? {};
  return schema;
}

/** One form field per parameter, in the schema's order; nested objects and arrays are edited as JSON. */
export function fieldsOf(paramSchema: JsonSchema, defs: Record<string, JsonSchema> = {}): Field[] {
  const required = new Set(paramSchema.required ?? []);
  return Object.entries(paramSchema.properties ?? {}).map(([name, raw]) => {
    let schema = resolve(raw, defs);
    let nullable = false;
    if (schema.anyOf) {
      const options = schema.anyOf.map((option) => resolve(option, defs));
      const concrete = options.filter((option) => option.type !== "null");
      nullable = concrete.length < options.length;
      if (concrete.length === 1) schema = { ...concrete[0], title: raw.title, description: raw.description };
    }
    const field: Field = {
      name,
      label: raw.title ?? name,
      description: raw.description ?? schema.description,
      kind: kindOf(schema, raw),
      required: required.has(name),
      nullable,
      default: raw.default,
    };
    if (schema.enum) field.choices = schema.enum.map(String);
    if (schema.minimum !== undefined) field.minimum = schema.minimum;
    if (schema.maximum !== undefined) field.maximum = schema.maximum;
    return field;
  });
}

function kindOf(schema: JsonSchema, raw: JsonSchema): FieldKind {
  if (schema.enum) return "choice";
  switch (schema.type) {
    case "string":
      return /expression|JSONata|\{%/i.test(`${raw.description ?? ""} ${raw.title ?? ""}`) ? "expression" : "text";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      return "json";
  }
}

/** The params value a form input means: an empty optional field is left out, numbers parsed, JSON parsed. */
export function parseFieldInput(field: Field, input: string | boolean): { value?: unknown; error?: string } {
  if (typeof input === "boolean") return { value: input };
  if (input === "") return {};
  switch (field.kind) {
    case "integer":
    case "number": {
      const number = Number(input);
      if (Number.isNaN(number) || (field.kind === "integer" && !Number.isInteger(number))) {
        return { error: `${field.label} must be ${field.kind === "integer" ? "a whole number" : "a number"}` };
      }
      return { value: number };
    }
    case "json":
      try {
        return { value: JSON.parse(input) };
      } catch {
        return { error: `${field.label} must be JSON` };
      }
    default:
      return { value: input };
  }
}

/** What a form input shows for a params value. */
export function formatFieldValue(field: Field, value: unknown): string | boolean {
  if (field.kind === "boolean") return value === true;
  if (value === undefined || value === null) return "";
  if (field.kind === "json") return JSON.stringify(value, null, 2);
  return String(value);
}
