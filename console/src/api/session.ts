// The bearer token lives only in this tab's sessionStorage; API keys are never stored by the console.
const TOKEN_KEY = "nexus-forge.token";

export interface Session {
  token: string;
  subject: string;
  tenantId: string | null;
  role: Role | null;
  platformAdmin: boolean;
}

export type Role = "owner" | "admin" | "editor" | "viewer";

const ROLE_RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

export function saveSession(session: Session): void {
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session));
}

export function loadSession(): Session | null {
  const saved = sessionStorage.getItem(TOKEN_KEY);
  return saved ? (JSON.parse(saved) as Session) : null;
}

export function clearSession(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Whether the signed-in member's role is at least `needed` (buttons above it are disabled; the API refuses too). */
export function roleAtLeast(session: Session | null, needed: Role): boolean {
  return !!session?.role && ROLE_RANK[session.role] >= ROLE_RANK[needed];
}
