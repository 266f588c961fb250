import { describe, expect, it } from "vitest";

import { testedSteps, type DraftRun } from "./TestRun";

describe("a test run on the canvas", () => {
  it("gives each node its last step's status, duration and output", () => {
    const run: DraftRun = {
      test_run: true,
      status: "SUCCEEDED",
      output: { n: 2 },
      steps: [
        { node_id: "start", state: "start", status: "SUCCEEDED", attempts: 1, started_at: "2026-12-05T00:00:00Z", duration_ms: 3, output: {} },
        { node_id: "loop", state: "loop", status: "SUCCEEDED", attempts: 1, started_at: "2026-12-05T00:00:00Z", duration_ms: 5, output: { n: 1 } },
        { node_id: "loop", state: "loop", status: "SUCCEEDED", attempts: 1, started_at: "2026-12-05T00:00:01Z", output: { n: 2 } },
      ],
    };
    expect(Object.fromEntries(testedSteps(run))).toEqual({
      start: { status: "SUCCEEDED", durationMs: 3, output: {} },
      loop: { status: "SUCCEEDED", durationMs: null, output: { n: 2 } },
    });
  });
});
