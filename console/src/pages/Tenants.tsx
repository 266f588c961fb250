import { useState, type FormEvent } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { loadSession } from "../api/session";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";

type Tier = Schemas["Tier"];
type Tenant = Schemas["Tenant"];

const TIERS: Tier[] = ["basic", "professional", "enterprise"];

function TenantRow({ tenant, canManage, onChanged }: { tenant: Tenant; canManage: boolean; onChanged: () => void }) {
  const [tier, setTier] = useState<Tier>(tenant.tier);
  const [error, busy, run] = useAction();
  const path = { params: { path: { tenant_id: tenant.tenant_id } } };
  const act = (action: () => Promise<unknown>) => void run(action).then((done) => done && onChanged());
  return (
    <tr data-testid="tenant" data-tenant={tenant.slug}>
      <td>
        {tenant.display_name}
        <br />
        <span className="muted">
          {tenant.slug} · <code>{tenant.tenant_id}</code>
        </span>
        <ProblemView error={error} />
      </td>
      <td>
        <span className={`badge tenant-${tenant.status}`} data-testid="tenant-status">
          {tenant.status}
        </span>
      </td>
      <td>
        <label>
          <span className="visually-hidden">Tier of {tenant.slug}</span>
          <select value={tier} disabled={!canManage || busy} onChange={(event) => setTier(event.target.value as Tier)}>
            {TIERS.map((value) => (
              <option key={value}>{value}</option>
            ))}
          </select>
        </label>{" "}
        <button
          type="button"
          disabled={!canManage || busy || tier === tenant.tier}
          onClick={() => act(() => unwrap(api.PATCH("/v1/tenants/{tenant_id}", { ...path, body: { tier } })))}
        >
          Change tier
        </button>
      </td>
      <td>{tenant.home_region}</td>
      <td>{formatTime(tenant.created_at)}</td>
      <td>
        {tenant.status === "active" && (
          <button
            type="button"
            disabled={!canManage || busy}
            onClick={() => act(() => unwrap(api.POST("/v1/tenants/{tenant_id}/suspend", path)))}
          >
            Suspend
          </button>
        )}
        {tenant.status === "suspended" && (
          <button
            type="button"
            disabled={!canManage || busy}
            onClick={() => act(() => unwrap(api.POST("/v1/tenants/{tenant_id}/resume", path)))}
          >
            Resume
          </button>
        )}
      </td>
    </tr>
  );
}

/** Platform admins' page: every tenant, created, suspended or resumed and moved between tiers here. */
export function Tenants() {
  const canManage = !!loadSession()?.platformAdmin;
  const [cursor, setCursor] = useState<string | undefined>();
  const loaded = useLoad(() => unwrap(api.GET("/v1/tenants", { params: { query: { cursor } } })), [cursor]);
  const [slug, setSlug] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [tier, setTier] = useState<Tier>("basic");
  const [owner, setOwner] = useState("");
  const [created, setCreated] = useState<Tenant>();
  const [error, busy, run] = useAction();
  function create(event: FormEvent) {
    event.preventDefault();
    setCreated(undefined);
    void run(async () => {
      const tenant = await unwrap(
        api.POST("/v1/tenants", { body: { slug, display_name: displayName, tier, owner: { subject: owner } } }),
      );
      setCreated(tenant);
      setSlug("");
      setDisplayName("");
      setOwner("");
      loaded.reload();
    });
  }
  return (
    <section>
      <h1>Tenants</h1>
      <ProblemView error={error} />
      {created && (
        <p role="status">
          Tenant {created.slug} created: <code>{created.tenant_id}</code>
        </p>
      )}
      {canManage && (
        <form className="inline-form" onSubmit={create} aria-label="New tenant">
          <label>
            Slug <input required value={slug} onChange={(event) => setSlug(event.target.value)} />
          </label>
          <label>
            Display name <input required value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
          </label>
          <label>
            Tier{" "}
            <select value={tier} onChange={(event) => setTier(event.target.value as Tier)}>
              {TIERS.map((value) => (
                <option key={value}>{value}</option>
              ))}
            </select>
          </label>
          <label>
            Owner (subject) <input required value={owner} onChange={(event) => setOwner(event.target.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Create tenant
          </button>
        </form>
      )}
      <ListState loaded={loaded} items={loaded.data?.items} empty="No tenants yet.">
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>Tenant</th>
                <th>Status</th>
                <th>Tier</th>
                <th>Home region</th>
                <th>Created</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((tenant) => (
                <TenantRow
                  key={`${tenant.tenant_id}-${tenant.status}-${tenant.tier}`}
                  tenant={tenant}
                  canManage={canManage}
                  onChanged={loaded.reload}
                />
              ))}
            </tbody>
          </table>
        )}
      </ListState>
      {loaded.data?.next_cursor && (
        <button type="button" onClick={() => setCursor(loaded.data?.next_cursor ?? undefined)}>
          More
        </button>
      )}
    </section>
  );
}
