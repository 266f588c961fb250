import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";
import {
  CREDENTIAL_KINDS,
  credentialSecret,
  EMPTY_FIELDS,
  isCredentialKind,
  type CredentialKind,
  type HeaderRow,
  type SecretFields,
} from "../credentials/secret";

/** Credentials are write-only: the form sends a secret of any kind, the list shows only names and metadata. */
export function Credentials() {
  const session = loadSession();
  const canRead = roleAtLeast(session, "editor");
  const canWrite = roleAtLeast(session, "admin");
  const loaded = useLoad(() => (canRead ? unwrap(api.GET("/v1/credentials")) : Promise.resolve({ items: [], next_cursor: null })));
  // The marketplace's install dialog links here with the name of a credential an item needs.
  const [searchParams] = useSearchParams();
  const [name, setName] = useState(searchParams.get("name") ?? "");
  const askedKind = searchParams.get("kind");
  const [kind, setKind] = useState<CredentialKind>(isCredentialKind(askedKind) ? askedKind : "bearer");
  const [fields, setFields] = useState<SecretFields>(EMPTY_FIELDS);
  const [error, busy, run] = useAction();
  const set = (changed: Partial<SecretFields>) => setFields({ ...fields, ...changed });
  const setRow = (index: number, changed: Partial<HeaderRow>) =>
    set({ headers: fields.headers.map((row, at) => (at === index ? { ...row, ...changed } : row)) });
  function create(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await unwrap(api.POST("/v1/credentials", { body: { name, secret: credentialSecret(kind, fields) } }));
      setName("");
      setFields(EMPTY_FIELDS);
      loaded.reload();
    });
  }
  const secret = (label: string, value: string, changed: (value: string) => void) => (
    <label>
      {label} <input required type="password" autoComplete="off" value={value} onChange={(event) => changed(event.target.value)} />
    </label>
  );
  return (
    <section>
      <h1>Credentials</h1>
      <ProblemView error={error} />
      {canWrite && (
        <form className="inline-form" onSubmit={create} aria-label="New credential">
          <label>
            Name <input required value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <label>
            Kind{" "}
            <select value={kind} onChange={(event) => setKind(event.target.value as CredentialKind)}>
              {CREDENTIAL_KINDS.map((entry) => (
                <option key={entry.kind} value={entry.kind}>
                  {entry.label}
                </option>
              ))}
            </select>
          </label>
          {kind === "bearer" && secret("Bearer token", fields.token, (token) => set({ token }))}
          {kind === "basic" && (
            <>
              <label>
                Username <input required autoComplete="off" value={fields.username} onChange={(event) => set({ username: event.target.value })} />
              </label>
              {secret("Password", fields.password, (password) => set({ password }))}
            </>
          )}
          {kind === "api_key_header" && (
            <>
              <label>
                Header name <input required value={fields.header} onChange={(event) => set({ header: event.target.value })} />
              </label>
              {secret("Key", fields.value, (value) => set({ value }))}
            </>
          )}
          {kind === "custom_headers" && (
            <fieldset aria-label="Headers">
              {fields.headers.map((row, index) => (
                <div key={index} className="inline-form">
                  <label>
                    Header {index + 1} name <input required value={row.name} onChange={(event) => setRow(index, { name: event.target.value })} />
                  </label>
                  {secret(`Header ${index + 1} value`, row.value, (value) => setRow(index, { value }))}
                  {fields.headers.length > 1 && (
                    <button type="button" onClick={() => set({ headers: fields.headers.filter((_, at) => at !== index) })}>
                      Remove header {index + 1}
                    </button>
                  )}
                </div>
              ))}
              <button type="button" onClick={() => set({ headers: [...fields.headers, { name: "", value: "" }] })}>
                Add header
              </button>
            </fieldset>
          )}
          <button type="submit" disabled={busy}>
            Store credential
          </button>
        </form>
      )}
      <ListState loaded={loaded} items={loaded.data?.items} empty={canRead ? "No credentials yet." : "Your role cannot see credentials."}>
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Version</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((credential) => (
                <tr key={credential.name}>
                  <td>{credential.name}</td>
                  <td>{credential.kind}</td>
                  <td>{credential.version}</td>
                  <td>{formatTime(credential.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListState>
    </section>
  );
}
