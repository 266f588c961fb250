import { useState, type FormEvent } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { loadSession, roleAtLeast, type Role } from "../api/session";
import { formatTime, ListState, ProblemView, Secret, useAction, useLoad } from "../components/common";

export function ApiKeys() {
  const canManage = roleAtLeast(loadSession(), "admin");
  const loaded = useLoad(() => (canManage ? unwrap(api.GET("/v1/api-keys")) : Promise.resolve({ items: [], next_cursor: null })));
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [created, setCreated] = useState<Schemas["ApiKeyWithSecret"] | null>(null);
  const [error, busy, run] = useAction();
  function create(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      setCreated(await unwrap(api.POST("/v1/api-keys", { body: { name, role } })));
      setName("");
      loaded.reload();
    });
  }
  const revoke = (keyId: string) =>
    void run(() => unwrap(api.DELETE("/v1/api-keys/{key_id}", { params: { path: { key_id: keyId } } }))).then(loaded.reload);
  return (
    <section>
      <h1>API keys</h1>
      {created && <Secret label={`API key ${created.name}`} value={created.api_key} />}
      <ProblemView error={error} />
      {canManage && (
        <form className="inline-form" onSubmit={create} aria-label="New API key">
          <label>
            Name <input required value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <label>
            Role{" "}
            <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
              <option>viewer</option>
              <option>editor</option>
              <option>admin</option>
              <option>owner</option>
            </select>
          </label>
          <button type="submit" disabled={busy}>
            Create key
          </button>
        </form>
      )}
      <ListState loaded={loaded} items={loaded.data?.items} empty={canManage ? "No API keys yet." : "Your role cannot manage API keys."}>
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Prefix</th>
                <th>Role</th>
                <th>Created</th>
                <th>Revoked</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((key) => (
                <tr key={key.key_id}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}</code>
                  </td>
                  <td>{key.role}</td>
                  <td>{formatTime(key.created_at)}</td>
                  <td>{formatTime(key.revoked_at)}</td>
                  <td>
                    <button type="button" disabled={busy || !!key.revoked_at} onClick={() => revoke(key.key_id)}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListState>
    </section>
  );
}
