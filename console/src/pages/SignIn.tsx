import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";

import { api, unwrap } from "../api/client";
import { saveSession, type Role } from "../api/session";
import { finishSignIn, loadAuthSettings, startSignIn } from "../auth/signIn";
import { ProblemView } from "../components/common";

/** Sends the person to the authorize page: forge dev's local sign-in, or the Cognito hosted UI in the cloud. */
export function SignIn() {
  const [error, setError] = useState<unknown>();
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    loadAuthSettings().then(startSignIn).catch(setError);
  }, []);
  return (
    <main className="sign-in">
      <h1>Nexus Forge</h1>
      {error ? <ProblemView error={error} /> : <p className="muted">Taking you to the sign-in page…</p>}
    </main>
  );
}

/** The redirect back from the authorize page: the code exchanged for a token kept in this tab only. */
export function SignInCallback() {
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const [error, setError] = useState<unknown>();
  const finished = useRef(false);
  useEffect(() => {
    if (finished.current) return;
    finished.current = true;
    (async () => {
      const token = await finishSignIn(await loadAuthSettings(), search);
      saveSession({ token, subject: "", tenantId: null, role: null, platformAdmin: false });
      const me = await unwrap(api.GET("/v1/me"));
      saveSession({
        token,
        subject: me.subject,
        tenantId: me.tenant_id ?? null,
        role: (me.role as Role | null) ?? null,
        platformAdmin: me.is_platform_admin,
      });
      navigate(me.is_platform_admin ? "/tenants" : "/workflows", { replace: true });
    })().catch(setError);
  }, [navigate, search]);
  return (
    <main className="sign-in">
      <h1>Signing in</h1>
      {error ? (
        <>
          <ProblemView error={error} />
          <Link to="/sign-in">Sign in again</Link>
        </>
      ) : (
        <p className="muted">Exchanging the sign-in code…</p>
      )}
    </main>
  );
}
