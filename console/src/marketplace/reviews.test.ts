import { describe, expect, it } from "vitest";

import { hasInstalled, performanceRows, ratingSummary, reviewBody, reviewDraft } from "./reviews";

const review = {
  review_id: "r1",
  rating: 4,
  title: "Handy",
  body: null,
  version: "1.0.0",
  reply: null,
  replied_at: null,
  created_at: "2026-12-01T00:00:00Z",
  updated_at: "2026-12-01T00:00:00Z",
};

describe("reviews", () => {
  it("summarises the rating, or says there is none", () => {
    expect(ratingSummary({ rating_average: 4.25, rating_count: 2 })).toBe("4.3 of 5 from 2 ratings");
    expect(ratingSummary({ rating_average: 5, rating_count: 1 })).toBe("5.0 of 5 from 1 rating");
    expect(ratingSummary({ rating_average: null, rating_count: 0 })).toBe("No ratings yet");
  });

  it("edits the caller's own review, not another member's", () => {
    const page = { items: [{ ...review, mine: false }, { ...review, review_id: "r2", rating: 2, mine: true }] };
    expect(reviewDraft({ ...page, rating_average: 3, rating_count: 2 })).toEqual({
      rating: "2",
      title: "Handy",
      body: "",
    });
    expect(reviewDraft(undefined)).toEqual({ rating: "", title: "", body: "" });
  });

  it("refuses what the API would and sends blanks as null", () => {
    expect(reviewBody({ rating: "", title: "", body: "" })).toEqual({ error: "Choose a rating from 1 to 5" });
    expect(reviewBody({ rating: "6", title: "", body: "" })).toEqual({ error: "Choose a rating from 1 to 5" });
    expect(reviewBody({ rating: "3", title: "x".repeat(121), body: "" })).toEqual({
      error: "The title takes at most 120 characters",
    });
    expect(reviewBody({ rating: "3", title: "  ", body: " Works. " })).toEqual({
      body: { rating: 3, title: null, body: "Works." },
    });
  });

  it("lets only a tenant that installed the item review it", () => {
    const install = { namespace: "acme", name: "greeting" } as Parameters<typeof hasInstalled>[0][number];
    expect(hasInstalled([install], { namespace: "acme", name: "greeting" })).toBe(true);
    expect(hasInstalled([install], { namespace: "acme", name: "other" })).toBe(false);
  });
});

describe("performanceRows", () => {
  it("shows the aggregate, or why it is hidden", () => {
    const shown = performanceRows({
      performance: { tenants: 5, executions: 40, success_rate: 0.975, p50_ms: 420, p95_ms: 2400, tokens_per_run: 0 },
      performance_hidden: null,
    });
    expect(shown).toEqual({
      rows: [
        ["Tenants", "5"],
        ["Executions", "40"],
        ["Success rate", "97.5 %"],
        ["Median duration", "420 ms"],
        ["95th percentile duration", "2.4 s"],
        ["Model tokens per run", "0"],
      ],
    });
    expect(performanceRows({ performance: null, performance_hidden: "Shown once 5 tenants" })).toEqual({
      hidden: "Shown once 5 tenants",
    });
  });
});
