import { api, ProblemError, unwrap, type Schemas } from "../api/client";
import { fieldsOf, parseFieldInput, type Field } from "../forms/schema";
import { parametersSchema } from "./search";

type ItemView = Schemas["ItemView"];
type Credential = Pick<Schemas["Credential"], "name" | "kind">;

/** One credential the item names, with the tenant's credentials of its kind to map it to. */
export interface CredentialChoice {
  name: string;
  kind: string;
  description: string;
  options: string[];
  /** The tenant's credential of that name and kind when there is one, else the first of its kind, else none. */
  preselected: string;
}

export function credentialChoices(item: Pick<ItemView, "credentials">, tenant: Credential[]): CredentialChoice[] {
  return (item.credentials ?? []).map((required) => {
    const options = tenant
      .filter((credential) => credential.kind === required.kind)
      .map((credential) => credential.name);
    return {
      name: required.name,
      kind: required.kind,
      description: required.description ?? "",
      options,
      preselected: options.includes(required.name) ? required.name : (options[0] ?? ""),
    };
  });
}

/** The item's credentials the tenant has none of that kind for: the dialog lists them with a link to create one. */
export function missingCredentials(choices: CredentialChoice[]): CredentialChoice[] {
  return choices.filter((choice) => choice.options.length === 0);
}

export function installFields(item: Pick<ItemView, "kind" | "parameters">): Field[] {
  return item.kind === "workflow_template" ? fieldsOf(parametersSchema(item.parameters ?? [])) : [];
}

export type InstallInputs = Record<string, string | boolean>;
export type FieldErrors = Record<string, string[]>;

/** Field keys the dialog shows errors under: `parameters.<name>` and `credentials.<name>`. */
export function parameterKey(name: string): string {
  return `parameters.${name}`;
}

export function credentialKey(name: string): string {
  return `credentials.${name}`;
}

/** POST /v1/marketplace/installs's body from the dialog, or the errors of the fields the browser can already tell. */
export function installRequest(
  item: Pick<ItemView, "namespace" | "name" | "latest_version" | "kind" | "parameters">,
  fields: Field[],
  inputs: InstallInputs,
  mapping: Record<string, string>,
): { body: Schemas["InstallRequest"] } | { errors: FieldErrors } {
  const parameters: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const field of fields) {
    const parsed = parseFieldInput(field, inputs[field.name] ?? "");
    if (parsed.error) errors[parameterKey(field.name)] = [parsed.error];
    else if (parsed.value !== undefined) parameters[field.name] = parsed.value;
  }
  if (Object.keys(errors).length > 0) return { errors };
  // An unmapped credential is left out: the API then looks for one of the item's name and lists it as missing.
  const credentials = Object.fromEntries(Object.entries(mapping).filter(([, chosen]) => chosen !== ""));
  return {
    body: {
      namespace: item.namespace,
      name: item.name,
      version: item.latest_version,
      ...(item.kind === "workflow_template" ? { parameters } : {}),
      credentials,
    },
  };
}

/** An RFC 9457 problem's field paths as the dialog's fields (`/parameters/team` → under the team field); the rest
 * stays with the problem's title. */
export function problemFields(error: unknown): { fields: FieldErrors; other: Schemas["InvalidParam"][] } {
  const fields: FieldErrors = {};
  const other: Schemas["InvalidParam"][] = [];
  if (!(error instanceof ProblemError)) return { fields, other };
  for (const param of error.invalidParams) {
    const match = /^\/(parameters|credentials)\/(.+)$/.exec(param.name);
    if (match) {
      const key = `${match[1]}.${match[2]}`;
      fields[key] = [...(fields[key] ?? []), param.reason];
    } else other.push(param);
  }
  return { fields, other };
}

/** What an install added, as the sentence the dialog shows (a template's draft is a link beside it). */
export function installSummary(install: Pick<Schemas["Install"], "kind" | "added" | "missing_credentials">): string {
  const presets = install.added.filter((thing) => thing.kind === "node_preset").map((thing) => thing.id);
  const done =
    install.kind === "workflow_template"
      ? "Installed as a draft workflow."
      : install.kind === "mcp_server"
        ? "Registered the MCP server."
        : `Added ${presets.length} node ${presets.length === 1 ? "preset" : "presets"} to your node library: ` +
          `${presets.join(", ")}.`;
  if (install.missing_credentials.length === 0) return done;
  return `${done} Create these credentials before it runs: ${install.missing_credentials.join(", ")}.`;
}

/** -1, 0 or 1 as semantic version `a` precedes, equals or follows `b` (build metadata is never published). */
export function compareVersions(a: string, b: string): number {
  const split = (version: string) => {
    const [core, pre] = version.split(/-(.*)/s, 2);
    return { core: core.split(".").map(Number), pre: pre ? pre.split(".") : [] };
  };
  const left = split(a);
  const right = split(b);
  for (let index = 0; index < 3; index += 1) {
    if (left.core[index] !== right.core[index]) return left.core[index] < right.core[index] ? -1 : 1;
  }
  if (left.pre.length === 0 || right.pre.length === 0) return Math.sign(right.pre.length - left.pre.length);
  for (let index = 0; index < Math.max(left.pre.length, right.pre.length); index += 1) {
    const [x, y] = [left.pre[index], right.pre[index]];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    const [xNumber, yNumber] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    if (xNumber && yNumber) return Number(x) < Number(y) ? -1 : 1;
    if (xNumber !== yNumber) return xNumber ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The tenant's installs of the item at a version older than its latest: what "Update" is offered for. */
export function updatable(
  installs: Pick<Schemas["Install"], "install_id" | "namespace" | "name" | "version">[],
  item: Pick<ItemView, "namespace" | "name" | "latest_version">,
) {
  return installs.filter(
    (install) =>
      install.namespace === item.namespace &&
      install.name === item.name &&
      compareVersions(install.version, item.latest_version) < 0,
  );
}

/** Every install of the tenant, page by page. */
export async function allInstalls(): Promise<Schemas["Install"][]> {
  const installs: Schemas["Install"][] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(api.GET("/v1/marketplace/installs", { params: { query: { limit: 100, cursor } } }));
    installs.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return installs;
}
