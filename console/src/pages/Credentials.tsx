import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";

/** Credentials are write-only: the form sends a secret, the list shows only names and metadata. */
export function Credentials() {
  const session = loadSession();
  const canRead = roleAtLeast(session, "editor");
  const canWrite = roleAtLeast(session, "admin");
  const loaded = useLoad(() => (canRead ? unwrap(api.GET("/v1/credentials")) : Promise.resolve({ items: [], next_cursor: null })));
  // The marketplace's install dialog links here with the name of a credential an item needs.
  const [searchParams] = useSearchParams();
  const [name, setName] = useState(searchParams.get("name") ?? "");
  const [token, setToken] = useState("");
  const [error, busy, run] = useAction();
  function create(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await unwrap(api.POST("/v1/credentials", { body: { name, secret: { kind: "bearer", token } } }));
      setName("");
      setToken("");
      loaded.reload();
    });
  }
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
            Bearer token{" "}
            <input required type="password" autoComplete="off" value={token} onChange={(event) => setToken(event.target.value)} />
          </label>
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
