import { describe, expect, it } from "vitest";

import { credentialSecret, EMPTY_FIELDS, isCredentialKind } from "./secret";

describe("credentialSecret", () => {
  const fields = {
    ...EMPTY_FIELDS,
    token: "t0k",
    username: "ada",
    password: "pw",
    header: "X-Api-Token",
    value: "k3y",
    headers: [
      { name: "X-One", value: "1" },
      { name: "", value: "" },
      { name: "X-Two", value: "2" },
    ],
  };

  it("sends only the fields of the chosen kind", () => {
    expect(credentialSecret("bearer", fields)).toEqual({ kind: "bearer", token: "t0k" });
    expect(credentialSecret("basic", fields)).toEqual({ kind: "basic", username: "ada", password: "pw" });
    expect(credentialSecret("api_key_header", fields)).toEqual({ kind: "api_key_header", header: "X-Api-Token", value: "k3y" });
  });

  it("sends custom headers as a map and skips rows left empty", () => {
    expect(credentialSecret("custom_headers", fields)).toEqual({ kind: "custom_headers", headers: { "X-One": "1", "X-Two": "2" } });
  });

  it("knows the kinds the API takes and nothing else", () => {
    expect(isCredentialKind("api_key_header")).toBe(true);
    expect(isCredentialKind("oauth2")).toBe(false);
    expect(isCredentialKind(null)).toBe(false);
  });
});
