import { ProblemError, type Problem } from "../api/client";
import {
  authorizeUrl,
  callbackCode,
  randomToken,
  savePending,
  takePending,
  tokenRequestBody,
  type AuthSettings,
} from "./pkce";

const CONFIG_PATH = "/config.json";

/** The settings served beside the console: by forge dev locally, written by the CDK upload in the cloud. */
export async function loadAuthSettings(): Promise<AuthSettings> {
  const response = await fetch(CONFIG_PATH, { cache: "no-cache" });
  if (!response.ok) throw new Error(`The console's ${CONFIG_PATH} could not be read (${response.status})`);
  return (await response.json()) as AuthSettings;
}

/** Leaves for the authorize page (forge dev's local form or the Cognito hosted UI). */
export async function startSignIn(settings: AuthSettings): Promise<void> {
  const pending = { state: randomToken(), verifier: randomToken() };
  savePending(pending);
  window.location.assign(await authorizeUrl(settings, window.location.origin, pending));
}

/** Back on the callback: the code exchanged (with this tab's verifier) for the ID token the API verifies. */
export async function finishSignIn(settings: AuthSettings, search: URLSearchParams): Promise<string> {
  const pending = takePending();
  const code = callbackCode(search, pending);
  const response = await fetch(new URL(settings.tokenUrl, window.location.origin), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: tokenRequestBody(settings, window.location.origin, code, pending?.verifier ?? ""),
  });
  const body = (await response.json()) as { id_token?: string; error?: string; error_description?: string } & Partial<Problem>;
  if (!response.ok || !body.id_token) {
    throw new ProblemError({
      type: body.type ?? "about:blank",
      title: body.title ?? "The sign-in was refused",
      status: response.status,
      detail: body.detail ?? body.error_description ?? body.error,
    });
  }
  return body.id_token;
}
