import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";

import { api, ProblemError, unwrap } from "../api/client";
import { saveSession, type Role } from "../api/session";
import { ProblemView } from "../components/common";

/** The local issuer's sign-in (forge dev only): a token for a chosen tenant and role, kept in this tab. */
export function SignIn() {
  const navigate = useNavigate();
  const [tenantId, setTenantId] = useState("");
  const [subject, setSubject] = useState("");
  const [role, setRole] = useState<Role>("owner");
  const [platformAdmin, setPlatformAdmin] = useState(false);
  const [error, setError] = useState<unknown>();

  async function signIn(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    try {
      const response = await fetch("/local/token", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          platformAdmin ? { subject, platform_admin: true } : { subject, tenant_id: tenantId, role },
        ),
      });
      const body = await response.json();
      if (!response.ok) throw new ProblemError(body);
      saveSession({ token: body.token, subject, tenantId: null, role: null, platformAdmin });
      const me = await unwrap(api.GET("/v1/me"));
      saveSession({
        token: body.token,
        subject: me.subject,
        tenantId: me.tenant_id ?? null,
        role: (me.role as Role | null) ?? null,
        platformAdmin: me.is_platform_admin,
      });
      navigate("/workflows");
    } catch (failure) {
      setError(failure);
    }
  }

  return (
    <main className="sign-in">
      <h1>Sign in to Nexus Forge</h1>
      <p className="muted">Local sign-in: the token comes from the issuer of forge dev and stays in this tab.</p>
      <form onSubmit={signIn}>
        <label>
          User (subject)
          <input name="subject" required value={subject} onChange={(e) => setSubject(e.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={platformAdmin} onChange={(e) => setPlatformAdmin(e.target.checked)} />
          Platform admin
        </label>
        {!platformAdmin && (
          <>
            <label>
              Tenant id
              <input name="tenant" required value={tenantId} onChange={(e) => setTenantId(e.target.value)} />
            </label>
            <label>
              Role
              <select name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
                <option value="owner">owner</option>
                <option value="admin">admin</option>
                <option value="editor">editor</option>
                <option value="viewer">viewer</option>
              </select>
            </label>
          </>
        )}
        <button type="submit">Sign in</button>
      </form>
      <ProblemView error={error} />
    </main>
  );
}
