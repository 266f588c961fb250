import { Background, Controls, ReactFlow, ReactFlowProvider } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useParams } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { followExecution } from "../api/events";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ProblemView, useAction } from "../components/common";
import { Payload } from "../components/Payload";
import { autoLayout } from "../graph/layout";
import { toFlow, type ForgeNode } from "../graph/mapping";
import { nodeTypes } from "../graph/NodeView";
import type { WorkflowDocument } from "../graph/workflow";

type Step = Schemas["ExecutionStep"];
type Execution = Schemas["Execution"];

const ENDED = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]);
const REDRIVABLE = new Set(["FAILED", "TIMED_OUT", "ABORTED"]);
// A redrive reaches the record with Step Functions' next status change: polled this often, for at most this long.
const REDRIVE_POLL_MS = 300;
const REDRIVE_WAIT_MS = 30_000;

/** An execution drawn on its version's graph, each node coloured by its step's status, live while it runs. */
export default function ExecutionView() {
  const { executionId = "" } = useParams();
  const navigate = useNavigate();
  const canRun = roleAtLeast(loadSession(), "editor");
  const [execution, setExecution] = useState<Execution>();
  const [graph, setGraph] = useState<{ nodes: ForgeNode[]; edges: ReturnType<typeof toFlow>["edges"] }>();
  const [steps, setSteps] = useState<Map<string, Step>>(new Map());
  const [chosen, setChosen] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>();
  const [actionError, busy, run] = useAction();
  // A redrive runs the same execution again: the view reloads it and follows its events anew.
  const [round, setRound] = useState(0);
  const redrivenFrom = useRef<number | null>(null);

  useEffect(() => {
    const path = { path: { execution_id: executionId } };
    const stop = new AbortController();
    async function load() {
      let found = await unwrap(api.GET("/v1/executions/{execution_id}", { params: path }));
      const giveUp = Date.now() + REDRIVE_WAIT_MS;
      while (redrivenFrom.current !== null && (found.redrive_count ?? 0) <= redrivenFrom.current && Date.now() < giveUp) {
        await new Promise((resolve) => setTimeout(resolve, REDRIVE_POLL_MS));
        if (stop.signal.aborted) return;
        found = await unwrap(api.GET("/v1/executions/{execution_id}", { params: path }));
      }
      redrivenFrom.current = null;
      setExecution(found);
      const version = await unwrap(
        api.GET("/v1/workflows/{workflow_id}/versions/{version}", {
          params: { path: { workflow_id: found.workflow_id, version: found.version } },
        }),
      );
      const drawn = toFlow(version.definition as unknown as WorkflowDocument);
      setGraph({ nodes: await autoLayout(drawn.nodes, drawn.edges), edges: drawn.edges });
      const history = await unwrap(api.GET("/v1/executions/{execution_id}/history", { params: path }));
      setSteps(new Map(history.steps.map((step) => [step.node_id, step])));
      if (ENDED.has(found.status)) return;
      await followExecution(
        executionId,
        ({ event, data }) => {
          if (event === "step") {
            const step = data as Step;
            setSteps((current) => new Map(current).set(step.node_id, step));
          } else if (event === "status" || event === "end") {
            void unwrap(api.GET("/v1/executions/{execution_id}", { params: path })).then(setExecution);
          }
        },
        stop.signal,
      );
    }
    load().catch((failure) => !stop.signal.aborted && setLoadError(failure));
    return () => stop.abort();
  }, [executionId, round]);

  const shownNodes = useMemo(
    () =>
      (graph?.nodes ?? []).map((node) => ({
        ...node,
        data: {
          ...node.data,
          status: steps.get(node.id)?.status,
          failed: execution?.failed_node === node.id || steps.get(node.id)?.status === "FAILED",
        },
      })),
    [graph, steps, execution],
  );

  const step = chosen ? steps.get(chosen) : undefined;
  const path = { params: { path: { execution_id: executionId } } };
  return (
    <div className="execution">
      <div className="toolbar">
        <h1>
          Execution <code>{executionId}</code>
        </h1>
        {execution && (
          <span className={`badge status-${execution.status.toLowerCase()}`} data-testid="execution-status">
            {execution.status}
          </span>
        )}
        <button
          type="button"
          disabled={!canRun || busy || !execution || ENDED.has(execution.status)}
          onClick={() => void run(() => unwrap(api.POST("/v1/executions/{execution_id}/cancel", path)))}
        >
          Cancel
        </button>
        <button
          type="button"
          disabled={!canRun || busy || !execution}
          onClick={() =>
            void run(async () => {
              const again = await unwrap(api.POST("/v1/executions/{execution_id}/rerun", path));
              navigate(`/executions/${again.execution_id}`);
            })
          }
        >
          Re-run
        </button>
        {canRun && execution && REDRIVABLE.has(execution.status) && (
          <button
            type="button"
            disabled={busy}
            title="Run it again from the step that failed"
            onClick={() =>
              void run(async () => {
                const redriven = await unwrap(api.POST("/v1/executions/{execution_id}/redrive", path));
                redrivenFrom.current = redriven.redrive_count ?? 0;
                setRound((current) => current + 1);
              })
            }
          >
            Redrive
          </button>
        )}
      </div>
      <ProblemView error={loadError ?? actionError} />
      {execution?.error && (
        <p className="problem" role="alert">
          {execution.failed_node && <>Failed at <code>{execution.failed_node}</code>: </>}
          {execution.error} {execution.cause}
        </p>
      )}
      {execution?.output_unavailable && <p className="muted">No output: {execution.output_unavailable}</p>}
      {!graph && !loadError && <p className="muted">Loading…</p>}
      <div className="builder-body">
        <div className="canvas" data-testid="canvas">
          {graph && (
            <ReactFlowProvider>
              <ReactFlow
                nodes={shownNodes}
                edges={graph.edges}
                nodeTypes={nodeTypes}
                nodesDraggable={false}
                nodesConnectable={false}
                onNodeClick={(_, node) => setChosen(node.id)}
                fitView
                fitViewOptions={{ maxZoom: 1 }}
              >
                <Background />
                <Controls />
              </ReactFlow>
            </ReactFlowProvider>
          )}
        </div>
        <aside className="properties" aria-label="Step">
          {execution && (
            <dl>
              <dt>Started</dt>
              <dd>{formatTime(execution.started_at)}</dd>
              <dt>Stopped</dt>
              <dd>{formatTime(execution.stopped_at)}</dd>
              <dt>Version</dt>
              <dd>{execution.version}</dd>
            </dl>
          )}
          {step ? (
            <>
              <h2>
                Step <code>{step.node_id}</code>: {step.status}
              </h2>
              <p>
                {step.attempts} attempt(s), {step.duration_ms ?? "—"} ms
              </p>
              {step.error && <p className="problem">{step.error}: {step.cause}</p>}
              <Payload key={`${step.state}-input`} label="Input" value={step.input} />
              <Payload key={`${step.state}-output`} label="Output" value={step.output} />
            </>
          ) : (
            <p className="muted">Select a node to see its step.</p>
          )}
        </aside>
      </div>
    </div>
  );
}
