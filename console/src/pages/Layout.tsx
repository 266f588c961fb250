import { Navigate, NavLink, Outlet, useNavigate } from "react-router-dom";

import { clearSession, loadSession } from "../api/session";

const PAGES: [string, string][] = [
  ["/workflows", "Workflows"],
  ["/executions", "Executions"],
  ["/approvals", "Approvals"],
  ["/marketplace", "Marketplace"],
  ["/webhooks", "Webhooks"],
  ["/schedules", "Schedules"],
  ["/credentials", "Credentials"],
  ["/installed", "Installed"],
  ["/api-keys", "API keys"],
  ["/members", "Members"],
  ["/audit", "Audit log"],
  ["/usage", "Usage"],
];
// A platform admin stands outside tenants: its pages are the platform's.
const PLATFORM_PAGES: [string, string][] = [["/tenants", "Tenants"]];

export function Layout() {
  const session = loadSession();
  const navigate = useNavigate();
  if (!session) return <Navigate to="/sign-in" replace />;
  return (
    <div className="shell">
      <header>
        <span className="brand">Nexus Forge</span>
        <nav aria-label="Console">
          {(session.platformAdmin ? PLATFORM_PAGES : PAGES).map(([path, label]) => (
            <NavLink key={path} to={path}>
              {label}
            </NavLink>
          ))}
        </nav>
        <span className="who">
          {session.subject}
          {session.role ? ` · ${session.role}` : ""}
          {session.platformAdmin ? " · platform admin" : ""}
        </span>
        <button
          type="button"
          onClick={() => {
            clearSession();
            navigate("/sign-in");
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <Outlet />
      </main>
    </div>
  );
}
