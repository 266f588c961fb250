import { describe, expect, it } from "vitest";

import { ProblemError } from "../api/client";
import {
  compareVersions,
  credentialChoices,
  installFields,
  installRequest,
  installSummary,
  missingCredentials,
  problemFields,
  updatable,
} from "./install";

const template = {
  namespace: "acme",
  name: "greeting",
  kind: "workflow_template",
  latest_version: "1.1.0",
  parameters: [
    { name: "team", json_schema: { type: "string" }, required: true },
    { name: "retries", json_schema: { type: "integer" }, required: false },
  ],
  credentials: [
    { name: "acme_api", kind: "bearer" as const, description: "" },
    { name: "mail", kind: "basic" as const, description: "SMTP" },
  ],
};
const tenantCredentials = [
  { name: "ours", kind: "bearer" },
  { name: "acme_api", kind: "bearer" },
  { name: "keyed", kind: "api_key_header" },
];

describe("credentialChoices", () => {
  it("offers the tenant's credentials of the item's kind, the same name first, and lists the kinds it lacks", () => {
    const choices = credentialChoices(template, tenantCredentials);

    expect(choices).toEqual([
      { name: "acme_api", kind: "bearer", description: "", options: ["ours", "acme_api"], preselected: "acme_api" },
      { name: "mail", kind: "basic", description: "SMTP", options: [], preselected: "" },
    ]);
    expect(missingCredentials(choices).map((choice) => choice.name)).toEqual(["mail"]);
    const unnamed = credentialChoices({ credentials: [{ name: "x", kind: "bearer" as const }] }, tenantCredentials);
    expect(unnamed[0].preselected).toBe("ours");
  });
});

describe("installRequest", () => {
  it("sends the template's parameters typed and only the credentials mapped to one of the tenant's", () => {
    const request = installRequest(template, installFields(template), { team: "Harbour", retries: "3" }, {
      acme_api: "ours",
      mail: "",
    });

    expect(request).toEqual({
      body: {
        namespace: "acme",
        name: "greeting",
        version: "1.1.0",
        parameters: { team: "Harbour", retries: 3 },
        credentials: { acme_api: "ours" },
      },
    });
  });

  it("names the field the browser can already refuse, and sends no parameters for other kinds", () => {
    expect(installRequest(template, installFields(template), { team: "Harbour", retries: "many" }, {})).toEqual({
      errors: { "parameters.retries": [expect.any(String)] },
    });
    const connector = { ...template, kind: "connector", parameters: [] };
    expect(installRequest(connector, installFields(connector), {}, { petstore_auth: "pets" })).toEqual({
      body: { namespace: "acme", name: "greeting", version: "1.1.0", credentials: { petstore_auth: "pets" } },
    });
  });
});

describe("problemFields", () => {
  it("puts a problem's parameter and credential paths under their fields and keeps the others", () => {
    const problem = new ProblemError({
      type: "about:blank",
      title: "Validation failed",
      status: 422,
      "invalid-params": [
        { name: "/parameters/team", reason: "does not match the parameter's schema" },
        { name: "/credentials/acme_api", reason: "is not a credential" },
        { name: "/body/version", reason: "is required" },
      ],
    });

    expect(problemFields(problem)).toEqual({
      fields: {
        "parameters.team": ["does not match the parameter's schema"],
        "credentials.acme_api": ["is not a credential"],
      },
      other: [{ name: "/body/version", reason: "is required" }],
    });
    expect(problemFields(new Error("offline"))).toEqual({ fields: {}, other: [] });
  });
});

describe("installSummary", () => {
  it("says what each kind added and what must still be created", () => {
    const added = (ids: string[]) => ids.map((id) => ({ kind: "node_preset" as const, id }));
    expect(installSummary({ kind: "connector", added: added(["a.b.x", "a.b.y"]), missing_credentials: [] })).toBe(
      "Added 2 node presets to your node library: a.b.x, a.b.y.",
    );
    expect(installSummary({ kind: "agent", added: added(["a.b.agent"]), missing_credentials: ["llm"] })).toBe(
      "Added 1 node preset to your node library: a.b.agent. Create these credentials before it runs: llm.",
    );
    expect(installSummary({ kind: "mcp_server", added: [], missing_credentials: [] })).toBe(
      "Registered the MCP server.",
    );
  });
});

describe("updatable", () => {
  it("offers an update only to installs of the item older than its latest version, by semver precedence", () => {
    const installs = [
      { install_id: "old", namespace: "acme", name: "greeting", version: "1.0.0" },
      { install_id: "current", namespace: "acme", name: "greeting", version: "1.1.0" },
      { install_id: "other", namespace: "acme", name: "petstore", version: "0.1.0" },
    ];
    expect(updatable(installs, template).map((install) => install.install_id)).toEqual(["old"]);
    expect(compareVersions("1.10.0", "1.9.0")).toBe(1);
    expect(compareVersions("1.0.0-rc.1", "1.0.0")).toBe(-1);
    expect(compareVersions("1.0.0-alpha.2", "1.0.0-alpha.10")).toBe(-1);
    expect(compareVersions("1.0.0-alpha", "1.0.0-alpha.1")).toBe(-1);
    expect(compareVersions("1.0.0-beta", "1.0.0-alpha.1")).toBe(1);
    expect(compareVersions("2.0.0", "2.0.0")).toBe(0);
  });
});
