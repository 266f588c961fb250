import type { components } from "../api/schema";

type Schemas = components["schemas"];
export type CredentialSecret = Schemas["CredentialCreate"]["secret"];
export type CredentialKind = CredentialSecret["kind"];

export const CREDENTIAL_KINDS: { kind: CredentialKind; label: string }[] = [
  { kind: "bearer", label: "Bearer token" },
  { kind: "basic", label: "Basic auth (username and password)" },
  { kind: "api_key_header", label: "API key in a header" },
  { kind: "custom_headers", label: "Custom headers" },
];

export interface HeaderRow {
  name: string;
  value: string;
}

/** What the form holds for every kind at once, so switching kinds keeps what was typed. */
export interface SecretFields {
  token: string;
  username: string;
  password: string;
  header: string;
  value: string;
  headers: HeaderRow[];
}

export const EMPTY_FIELDS: SecretFields = { token: "", username: "", password: "", header: "X-API-Key", value: "", headers: [{ name: "", value: "" }] };

export function isCredentialKind(value: string | null): value is CredentialKind {
  return CREDENTIAL_KINDS.some((entry) => entry.kind === value);
}

/** The write-only secret POST /v1/credentials takes for `kind`; custom headers skip rows left wholly empty. */
export function credentialSecret(kind: CredentialKind, fields: SecretFields): CredentialSecret {
  switch (kind) {
    case "bearer":
      return { kind, token: fields.token };
    case "basic":
      return { kind, username: fields.username, password: fields.password };
    case "api_key_header":
      return { kind, header: fields.header, value: fields.value };
    case "custom_headers":
      return {
        kind,
        headers: Object.fromEntries(fields.headers.filter((row) => row.name !== "" || row.value !== "").map((row) => [row.name, row.value])),
      };
  }
}
