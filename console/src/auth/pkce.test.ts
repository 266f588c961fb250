import { afterEach, describe, expect, it } from "vitest";

import {
  authorizeUrl,
  callbackCode,
  challengeOf,
  randomToken,
  savePending,
  takePending,
  tokenRequestBody,
  type AuthSettings,
} from "./pkce";

const SETTINGS: AuthSettings = {
  authorizeUrl: "https://forge-users.auth.eu-west-1.amazoncognito.com/oauth2/authorize",
  tokenUrl: "https://forge-users.auth.eu-west-1.amazoncognito.com/oauth2/token",
  clientId: "console-client",
  redirectPath: "/callback",
};
const ORIGIN = "https://console.example.com";

afterEach(() => sessionStorage.clear());

describe("PKCE", () => {
  it("derives the S256 challenge of RFC 7636's own example", async () => {
    expect(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("makes verifiers of 43 unreserved characters, a new one each time", () => {
    const first = randomToken();
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(first);
  });

  it("asks the authorize endpoint for a code with the challenge, never the verifier", async () => {
    const pending = { state: "s-1", verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" };
    const url = new URL(await authorizeUrl(SETTINGS, ORIGIN, pending));
    expect(`${url.origin}${url.pathname}`).toBe(SETTINGS.authorizeUrl);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: "code",
      client_id: "console-client",
      redirect_uri: "https://console.example.com/callback",
      scope: "openid",
      state: "s-1",
      code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
      code_challenge_method: "S256",
    });
    expect(url.toString()).not.toContain(pending.verifier);
  });

  it("sends the verifier with the code to the token endpoint", () => {
    const body = tokenRequestBody(SETTINGS, ORIGIN, "the-code", "the-verifier");
    expect(Object.fromEntries(body)).toEqual({
      grant_type: "authorization_code",
      client_id: "console-client",
      code: "the-code",
      redirect_uri: "https://console.example.com/callback",
      code_verifier: "the-verifier",
    });
  });
});

describe("the callback's state check", () => {
  const pending = { state: "s-1", verifier: "v" };

  it("gives the code when the state is the one this tab sent", () => {
    expect(callbackCode(new URLSearchParams("code=c-1&state=s-1"), pending)).toBe("c-1");
  });

  it("refuses another state, a callback nobody started here, and a refusal of the issuer", () => {
    expect(() => callbackCode(new URLSearchParams("code=c-1&state=forged"), pending)).toThrow(/state does not match/);
    expect(() => callbackCode(new URLSearchParams("code=c-1&state=s-1"), null)).toThrow(/state does not match/);
    expect(() =>
      callbackCode(new URLSearchParams("error=access_denied&error_description=User+cancelled"), pending),
    ).toThrow("Sign-in refused: User cancelled");
  });

  it("keeps a pending sign-in for one callback only", () => {
    savePending(pending);
    expect(takePending()).toEqual(pending);
    expect(takePending()).toBeNull();
  });
});
