import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";
import { loadSession } from "./session";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** An RFC 9457 problem the API answered, thrown so pages can show its title, detail and field paths. */
export class ProblemError extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.problem = problem;
  }

  get invalidParams(): Schemas["InvalidParam"][] {
    return this.problem["invalid-params"] ?? [];
  }
}

const authorize: Middleware = {
  onRequest({ request }) {
    const session = loadSession();
    if (session) request.headers.set("authorization", `Bearer ${session.token}`);
    return request;
  },
};

export function createApi(baseUrl = "", fetchImpl?: typeof fetch) {
  const client = createClient<paths>({ baseUrl, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
  client.use(authorize);
  return client;
}

export const api = createApi();

/** The data of an openapi-fetch answer, or the problem it carried thrown as a ProblemError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (error !== undefined || !response.ok) throw new ProblemError(asProblem(error, response));
  return data as T;
}

function asProblem(error: unknown, response: Response): Problem {
  if (error && typeof error === "object" && "title" in error) return error as Problem;
  return { type: "about:blank", title: response.statusText || "Request failed", status: response.status };
}
