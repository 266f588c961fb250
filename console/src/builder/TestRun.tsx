import { useState } from "react";

import type { Schemas } from "../api/client";
import { Payload } from "../components/Payload";
import type { TestedStep } from "../graph/mapping";

export type DraftRun = Schemas["DraftRun"];

/** Each node's last step in a test run (a node entered again, in a loop, shows its last entry). */
export function testedSteps(run: DraftRun): Map<string, TestedStep> {
  return new Map(
    run.steps.map((step) => [step.node_id, { status: step.status, durationMs: step.duration_ms ?? null, output: step.output }]),
  );
}

/** A sample input, the button that runs the draft with it, and the run's steps in full. */
export function TestRunPanel({
  disabled,
  busy,
  result,
  onRun,
}: {
  disabled: boolean;
  busy: boolean;
  result: DraftRun | null;
  onRun: (input: unknown) => void;
}) {
  const [sample, setSample] = useState("{}");
  const [problem, setProblem] = useState<string | null>(null);

  function start() {
    try {
      const parsed: unknown = JSON.parse(sample);
      setProblem(null);
      onRun(parsed);
    } catch (error) {
      setProblem(`Not JSON: ${(error as Error).message}`);
    }
  }

  return (
    <section className="test-run" aria-label="Test run">
      <h2>Test run</h2>
      <p className="muted">Runs the draft as it is now with this input: nothing is published or recorded.</p>
      <label htmlFor="test-run-input">Sample input (JSON)</label>
      <textarea id="test-run-input" rows={6} value={sample} spellCheck={false} aria-invalid={problem !== null} onChange={(event) => setSample(event.target.value)} />
      {problem && (
        <p className="field-problem" role="alert">
          {problem}
        </p>
      )}
      <button type="button" disabled={disabled || busy} onClick={start}>
        {busy ? "Testing…" : "Start test"}
      </button>
      {result && (
        <>
          <p role="status" data-testid="test-run-status">
            Test run {result.status.toLowerCase()}
            {result.duration_ms !== null && result.duration_ms !== undefined ? ` in ${result.duration_ms} ms` : ""}
            {result.error ? `: ${result.error}${result.cause ? ` (${result.cause})` : ""}` : "."}
          </p>
          <ol className="steps">
            {result.steps.map((step, index) => (
              <li key={`${step.state}-${index}`} className="card">
                <strong>
                  <code>{step.node_id}</code> {step.status}
                </strong>{" "}
                <span className="muted">{step.duration_ms ?? "—"} ms</span>
                <Payload label="Output" value={step.output} />
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
