import type { Schemas } from "../api/client";

type ReviewPage = Schemas["ReviewPage"];
type ReviewWrite = Schemas["ReviewWrite"];
type ItemView = Schemas["ItemView"];

export interface ReviewDraft {
  rating: string;
  title: string;
  body: string;
}

/** "4.5 of 5 from 2 ratings", or that there are none yet. */
export function ratingSummary(page: Pick<ReviewPage, "rating_average" | "rating_count">): string {
  if (page.rating_count === 0 || page.rating_average == null) return "No ratings yet";
  const count = page.rating_count === 1 ? "1 rating" : `${page.rating_count} ratings`;
  return `${page.rating_average.toFixed(1)} of 5 from ${count}`;
}

/** The caller's own review's values to edit, or an empty form. */
export function reviewDraft(page: ReviewPage | undefined): ReviewDraft {
  const mine = page?.items.find((review) => review.mine);
  return { rating: mine ? String(mine.rating) : "", title: mine?.title ?? "", body: mine?.body ?? "" };
}

/** The PUT body of a draft, or the problem the API would answer with (rating 1–5, title ≤ 120, body ≤ 4000). */
export function reviewBody(draft: ReviewDraft): { body: ReviewWrite } | { error: string } {
  const rating = Number(draft.rating);
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) return { error: "Choose a rating from 1 to 5" };
  const title = draft.title.trim();
  const body = draft.body.trim();
  if (title.length > 120) return { error: "The title takes at most 120 characters" };
  if (body.length > 4000) return { error: "The review takes at most 4000 characters" };
  return { body: { rating, title: title || null, body: body || null } };
}

/** Whether the tenant has the item installed (only then may its members review it). */
export function hasInstalled(installs: Schemas["Install"][], item: Pick<ItemView, "namespace" | "name">): boolean {
  return installs.some((install) => install.namespace === item.namespace && install.name === item.name);
}

/** The measured performance as label/value rows, or why it is not shown. */
export function performanceRows(
  item: Pick<ItemView, "performance" | "performance_hidden">,
): { rows: [string, string][] } | { hidden: string } {
  const performance = item.performance;
  if (!performance) return { hidden: item.performance_hidden ?? "No measured performance yet" };
  return {
    rows: [
      ["Tenants", String(performance.tenants)],
      ["Executions", String(performance.executions)],
      ["Success rate", `${(performance.success_rate * 100).toFixed(1)} %`],
      ["Median duration", formatDuration(performance.p50_ms)],
      ["95th percentile duration", formatDuration(performance.p95_ms)],
      ["Model tokens per run", String(performance.tokens_per_run)],
    ],
  };
}

export function formatDuration(milliseconds: number): string {
  return milliseconds < 1000 ? `${milliseconds} ms` : `${(milliseconds / 1000).toFixed(1)} s`;
}
