import { afterEach, describe, expect, it } from "vitest";

import { createApi, ProblemError, unwrap } from "./client";
import { clearSession, saveSession } from "./session";
import { parseEventBlock } from "./events";

function answering(status: number, body: unknown, seen: Request[]): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(input instanceof Request ? input : new Request(input, init));
    const type = status >= 400 ? "application/problem+json" : "application/json";
    return new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
  };
}

afterEach(clearSession);

describe("the typed API client", () => {
  it("sends the signed-in member's bearer token and returns the typed data", async () => {
    saveSession({ token: "t0k3n", subject: "ada", tenantId: "t-1", role: "owner", platformAdmin: false });
    const seen: Request[] = [];
    const api = createApi("http://forge.test", answering(200, { items: [], next_cursor: null }, seen));
    const page = await unwrap(api.GET("/v1/workflows", { params: { query: { limit: 5 } } }));
    expect(page.items).toEqual([]);
    expect(seen[0].url).toBe("http://forge.test/v1/workflows?limit=5");
    expect(seen[0].headers.get("authorization")).toBe("Bearer t0k3n");
  });

  it("throws the RFC 9457 problem with its field paths", async () => {
    const problem = {
      type: "https://nexus-forge.dev/problems/validation-error",
      title: "The request is not valid",
      status: 422,
      detail: "1 field(s) failed validation",
      "invalid-params": [{ name: "/body/name", reason: "Field required" }],
    };
    const api = createApi("http://forge.test", answering(422, problem, []));
    const failure = await unwrap(api.POST("/v1/hooks", { body: { name: "", workflow_id: "w" } })).catch((e) => e);
    expect(failure).toBeInstanceOf(ProblemError);
    expect(failure.problem.title).toBe("The request is not valid");
    expect(failure.invalidParams).toEqual([{ name: "/body/name", reason: "Field required" }]);
  });

  it("sends no Authorization header when nobody is signed in", async () => {
    const seen: Request[] = [];
    await createApi("http://forge.test", answering(200, { status: "ok" }, seen)).GET("/v1/health");
    expect(seen[0].headers.has("authorization")).toBe(false);
  });

  it("reads a Server-Sent Event of the execution stream", () => {
    expect(parseEventBlock('event: step\nid: 1-4\ndata: {"node_id": "a", "status": "SUCCEEDED"}')).toEqual({
      event: "step",
      data: { node_id: "a", status: "SUCCEEDED" },
    });
  });
});
