// The authorization code flow with PKCE (RFC 7636, S256), the same against Cognito's hosted UI and forge dev's issuer.

export interface AuthSettings {
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  redirectPath: string;
}

/** What the console keeps in this tab between leaving for the authorize page and coming back to the callback. */
export interface PendingSignIn {
  state: string;
  verifier: string;
}

const PENDING_KEY = "nexus-forge.sign-in";
const VERIFIER_BYTES = 32; // 43 base64url characters, the shortest verifier RFC 7636 allows

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(VERIFIER_BYTES)));
}

export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function redirectUri(settings: AuthSettings, origin: string): string {
  return new URL(settings.redirectPath, origin).toString();
}

export async function authorizeUrl(settings: AuthSettings, origin: string, pending: PendingSignIn): Promise<string> {
  const url = new URL(settings.authorizeUrl, origin);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: settings.clientId,
    redirect_uri: redirectUri(settings, origin),
    scope: "openid",
    state: pending.state,
    code_challenge: await challengeOf(pending.verifier),
    code_challenge_method: "S256",
  }).toString();
  return url.toString();
}

/** The code of a callback, once its state is the one this tab sent (anything else may be a forged redirect). */
export function callbackCode(search: URLSearchParams, pending: PendingSignIn | null): string {
  const error = search.get("error");
  if (error) throw new Error(`Sign-in refused: ${search.get("error_description") ?? error}`);
  if (!pending || search.get("state") !== pending.state) {
    throw new Error("This sign-in was not started in this tab (its state does not match): sign in again.");
  }
  const code = search.get("code");
  if (!code) throw new Error("The sign-in came back without a code: sign in again.");
  return code;
}

export function tokenRequestBody(settings: AuthSettings, origin: string, code: string, verifier: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: "authorization_code",
    client_id: settings.clientId,
    code,
    redirect_uri: redirectUri(settings, origin),
    code_verifier: verifier,
  });
}

export function savePending(pending: PendingSignIn): void {
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
}

/** The pending sign-in, removed as it is read: a state and verifier serve one callback. */
export function takePending(): PendingSignIn | null {
  const saved = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  return saved ? (JSON.parse(saved) as PendingSignIn) : null;
}
