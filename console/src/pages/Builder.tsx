import {
  addEdge,
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { useNavigate, useParams } from "react-router-dom";

import { api, ProblemError, unwrap } from "../api/client";
import { costSummary } from "../builder/cost";
import { testedSteps, TestRunPanel, type DraftRun } from "../builder/TestRun";
import { DiffCanvas, VersionsPanel, type VersionDiff } from "../builder/Versions";
import { pathsOf, sampleInputOf, type PathOption, type SampleStep } from "../expressions/jsonata";
import { loadSession, roleAtLeast } from "../api/session";
import { ProblemView, useAction, useLoad } from "../components/common";
import { fieldsOf, formatFieldValue, nodeParamSchemas, parseFieldInput, type JsonSchema } from "../forms/schema";
import { copySelection, pasteCopies, type Copied } from "../graph/clipboard";
import { autoLayout } from "../graph/layout";
import { edgeId, pinFindings, toFlow, toWorkflow, type ForgeNode, type PinnedFindings } from "../graph/mapping";
import { nodeTypes } from "../graph/NodeView";
import { CATEGORIES, categoryOf, connectionProblem, newNodeId, type WorkflowDocument } from "../graph/workflow";

// CodeMirror loads with the first expression field shown, not with the canvas.
const ExpressionEditor = lazy(() => import("../expressions/ExpressionEditor"));

const NODE_MIME = "application/x-forge-node";
const VALIDATE_DELAY_MS = 250;
const AUTOSAVE_DELAY_MS = 1500;

interface Canvas {
  nodes: ForgeNode[];
  edges: Edge[];
}

/** The steps of the workflow's newest execution: the sample data expressions complete paths from (none if it never ran). */
async function loadLastRun(workflowId: string): Promise<LastRun | null> {
  if (workflowId === "new") return null;
  const page = await unwrap(api.GET("/v1/executions", { params: { query: { workflow_id: workflowId, limit: 1 } } }));
  const newest = page.items[0];
  if (!newest) return null;
  const history = await unwrap(
    api.GET("/v1/executions/{execution_id}/history", { params: { path: { execution_id: newest.execution_id } } }),
  ).catch(() => ({ steps: [] }));
  return { executionId: newest.execution_id, steps: history.steps };
}

interface LastRun {
  executionId: string;
  steps: SampleStep[];
}

async function loadWorkflowSchema(): Promise<JsonSchema> {
  return (await unwrap(api.GET("/v1/workflow-schema"))) as JsonSchema;
}

export default function Builder() {
  return (
    <ReactFlowProvider>
      <BuilderCanvas />
    </ReactFlowProvider>
  );
}

function BuilderCanvas() {
  const { workflowId = "new" } = useParams();
  const navigate = useNavigate();
  const flow = useReactFlow();
  const session = loadSession();
  const canEdit = roleAtLeast(session, "editor");
  const schema = useLoad(loadWorkflowSchema);
  const paramSchemas = useMemo(() => (schema.data ? nodeParamSchemas(schema.data) : new Map()), [schema.data]);
  const [name, setName] = useState("untitled");
  // What the canvas does not draw (description, settings) goes back unchanged with every save.
  const [meta, setMeta] = useState<Pick<WorkflowDocument, "description" | "settings">>({});
  // The revision the next save is based on, and the document last saved: refs, as saves run one after another.
  const revision = useRef<number | null>(null);
  const savedText = useRef<string | null>(null);
  const saves = useRef<Promise<unknown>>(Promise.resolve());
  const [liveVersion, setLiveVersion] = useState<number | null>(null);
  const [canvas, setCanvas] = useState<Canvas>({ nodes: [], edges: [] });
  const [past, setPast] = useState<Canvas[]>([]);
  const [future, setFuture] = useState<Canvas[]>([]);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  // Fetched when a node is first selected (its form may have expressions), not while the canvas opens.
  const [wantsSamples, setWantsSamples] = useState(false);
  const lastRun = useLoad(async () => (wantsSamples ? loadLastRun(workflowId) : null), [workflowId, wantsSamples]);
  useEffect(() => {
    if (selectedId !== null) setWantsSamples(true);
  }, [selectedId]);
  const [findings, setFindings] = useState<PinnedFindings>({ byNode: new Map(), general: [] });
  const [validity, setValidity] = useState<"unchecked" | "checking" | "valid" | "invalid">("unchecked");
  const [refusal, setRefusal] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [panel, setPanel] = useState<"properties" | "versions" | "test">("properties");
  const [testRun, setTestRun] = useState<DraftRun | null>(null);
  const [versionsShown, setVersionsShown] = useState(0);
  const [diffShown, setDiffShown] = useState<VersionDiff | null>(null);
  const [actionError, busy, run] = useAction();
  const [loadError, setLoadError] = useState<unknown>();
  const validation = useRef(0);
  const clipboard = useRef<Copied | null>(null);

  useEffect(() => {
    if (workflowId === "new") return;
    unwrap(api.GET("/v1/workflows/{workflow_id}", { params: { path: { workflow_id: workflowId } } }))
      .then(async (workflow) => {
        const definition = workflow.definition as unknown as WorkflowDocument;
        setName(definition.name ?? workflow.name);
        setMeta({ description: definition.description, settings: definition.settings });
        revision.current = workflow.revision;
        setLiveVersion(workflow.live_version ?? null);
        const drawn = toFlow(definition);
        const placed = definition.nodes.every((node) => node.position) ? drawn.nodes : await autoLayout(drawn.nodes, drawn.edges);
        savedText.current = JSON.stringify(toWorkflow({ ...definition, name: definition.name ?? workflow.name }, placed, drawn.edges));
        setCanvas({ nodes: placed, edges: drawn.edges });
        setTimeout(() => void flow.fitView({ maxZoom: 1 }));
      })
      .catch(setLoadError);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [workflowId]);

  const document = useMemo(() => toWorkflow({ ...meta, name }, canvas.nodes, canvas.edges), [meta, name, canvas]);
  // Selecting or measuring a node changes the canvas, not the document: only a real change is validated again.
  const documentText = useMemo(() => JSON.stringify(document), [document]);

  // Validation on every change, through the server: its findings pinned to nodes and fields.
  useEffect(() => {
    if (document.nodes.length === 0) return;
    const round = ++validation.current;
    setValidity("checking");
    const timer = setTimeout(async () => {
      const { error, response } = await api.POST("/v1/workflows/validate", { body: document as never });
      if (round !== validation.current) return;
      if (response.ok) {
        setFindings({ byNode: new Map(), general: [] });
        setValidity("valid");
      } else {
        const problem = new ProblemError(error as never);
        const pinned = pinFindings(problem.invalidParams, document);
        if (problem.invalidParams.length === 0) pinned.general.push(problem.problem.detail ?? problem.problem.title);
        setFindings(pinned);
        setValidity("invalid");
      }
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [documentText]);

  const commit = useCallback(
    (next: Canvas) => {
      setPast((history) => [...history.slice(-99), canvas]);
      setFuture([]);
      setCanvas(next);
    },
    [canvas],
  );

  const undo = useCallback(() => {
    if (!past.length) return;
    setFuture((redo) => [canvas, ...redo]);
    setCanvas(past[past.length - 1]);
    setPast(past.slice(0, -1));
  }, [past, canvas]);

  const redo = useCallback(() => {
    if (!future.length) return;
    setPast((history) => [...history, canvas]);
    setCanvas(future[0]);
    setFuture(future.slice(1));
  }, [future, canvas]);

  // Keyboard shortcuts, outside form fields: Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo, Ctrl+C / Ctrl+V nodes.
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (!(event.ctrlKey || event.metaKey)) return;
      if ((event.target as HTMLElement).closest("input, textarea, select")) return;
      const key = event.key.toLowerCase();
      if (key === "z" && !event.shiftKey) undo();
      else if (key === "y" || (key === "z" && event.shiftKey)) redo();
      else if (key === "c") clipboard.current = copySelection(canvas.nodes, canvas.edges);
      else if (key === "v" && clipboard.current?.nodes.length && canEdit) {
        const pasted = pasteCopies(clipboard.current, canvas.nodes);
        const deselected = canvas.nodes.map((node) => (node.selected ? { ...node, selected: false } : node));
        commit({ nodes: [...deselected, ...pasted.nodes], edges: [...canvas.edges, ...pasted.edges] });
      } else return;
      event.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redo, canvas, commit, canEdit]);

  const onNodesChange = useCallback(
    (changes: NodeChange<ForgeNode>[]) => {
      const next = { ...canvas, nodes: applyNodeChanges(changes, canvas.nodes) };
      const removed = changes.filter((change) => change.type === "remove").map((change) => change.id);
      if (removed.length) {
        next.edges = canvas.edges.filter((edge) => !removed.includes(edge.source) && !removed.includes(edge.target));
        commit(next);
      } else setCanvas(next);
      const selections = changes.filter((change) => change.type === "select");
      const chosen = selections.find((change) => change.selected);
      if (chosen) setSelectedId(chosen.id);
      else if (selections.length) setSelectedId(null);
    },
    [canvas, commit],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const next = { ...canvas, edges: applyEdgeChanges(changes, canvas.edges) };
      if (changes.some((change) => change.type === "remove")) commit(next);
      else setCanvas(next);
    },
    [canvas, commit],
  );

  const isValidConnection = useCallback(
    (connection: Connection | Edge) => {
      const problem = connectionProblem(document, connection.source, connection.sourceHandle ?? "out", connection.target);
      setRefusal(problem);
      return problem === null;
    },
    [document],
  );

  const onConnect = useCallback(
    (connection: Connection) => {
      const port = connection.sourceHandle ?? "out";
      const edge: Edge = {
        id: edgeId({ from: connection.source, port, to: connection.target }),
        source: connection.source,
        sourceHandle: port,
        target: connection.target,
        label: port === "out" ? undefined : port,
      };
      setRefusal(null);
      commit({ ...canvas, edges: addEdge(edge, canvas.edges) });
    },
    [canvas, commit],
  );

  const addNode = useCallback(
    (type: string, position: { x: number; y: number }) => {
      const id = newNodeId(type, canvas.nodes.map((node) => node.id));
      const node: ForgeNode = { id, type: "forge", position, data: { node: { id, type } } };
      commit({ ...canvas, nodes: [...canvas.nodes, node] });
      setSelectedId(id);
    },
    [canvas, commit],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      event.preventDefault();
      const type = event.dataTransfer.getData(NODE_MIME);
      if (type) addNode(type, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [addNode, flow],
  );

  const updateNode = useCallback(
    (id: string, change: (node: ForgeNode["data"]["node"]) => ForgeNode["data"]["node"]) => {
      commit({
        ...canvas,
        nodes: canvas.nodes.map((node) => (node.id === id ? { ...node, data: { ...node.data, node: change(node.data.node) } } : node)),
      });
    },
    [canvas, commit],
  );

  async function layout() {
    commit({ ...canvas, nodes: await autoLayout(canvas.nodes, canvas.edges) });
    setTimeout(() => void flow.fitView({ maxZoom: 1 }));
  }

  function save(): Promise<string> {
    const next = saves.current.then(() => saveNow(document));
    saves.current = next.catch(() => undefined);
    return next;
  }

  async function saveNow(saving: WorkflowDocument): Promise<string> {
    const text = JSON.stringify(saving);
    if (workflowId === "new") {
      const created = await unwrap(api.POST("/v1/workflows", { body: saving as never }));
      revision.current = created.revision;
      navigate(`/workflows/${created.id}`, { replace: true });
      return created.id;
    }
    if (text === savedText.current) return workflowId;
    const expected = revision.current;
    const updated = await unwrap(
      api.PUT("/v1/workflows/{workflow_id}", {
        params: { path: { workflow_id: workflowId }, header: expected === null ? {} : { "if-match": String(expected) } },
        body: saving as never,
      }),
    );
    revision.current = updated.revision;
    savedText.current = text;
    return updated.id;
  }

  // Draft autosave: a saved workflow's draft follows every change, a moment after the last one.
  useEffect(() => {
    if (workflowId === "new" || !canEdit || savedText.current === null || documentText === savedText.current) return;
    const timer = setTimeout(() => {
      void run(save).then((ok) => ok && setMessage("Draft saved automatically."));
    }, AUTOSAVE_DELAY_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [documentText]);

  async function publish() {
    const id = await save();
    const version = await unwrap(
      api.POST("/v1/workflows/{workflow_id}/publish", {
        params: { path: { workflow_id: id } },
        body: { note: note || null },
      }),
    );
    setLiveVersion(version.version);
    setVersionsShown((round) => round + 1);
    setMessage(`Published version ${version.version}: it is live. Estimated cost: ${costSummary(version.cost, mode)}.`);
  }

  async function runTest(input: unknown) {
    const id = await save();
    setTestRun(
      await unwrap(api.POST("/v1/workflows/{workflow_id}/test-runs", { params: { path: { workflow_id: id } }, body: { input } })),
    );
  }

  async function start() {
    const started = await unwrap(
      api.POST("/v1/workflows/{workflow_id}/executions", {
        params: { path: { workflow_id: workflowId } },
        body: { input: {} },
      }),
    );
    navigate(`/executions/${started.execution_id}`);
  }

  function exportJson() {
    const blob = new Blob([JSON.stringify(document, null, 2)], { type: "application/json" });
    const link = window.document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${name}.json`;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  async function importJson(file: File) {
    await replaceDocument(JSON.parse(await file.text()) as WorkflowDocument, { layout: true });
  }

  async function replaceDocument(replacing: WorkflowDocument, { layout }: { layout: boolean }) {
    const drawn = toFlow(replacing);
    setName(replacing.name);
    setMeta({ description: replacing.description, settings: replacing.settings });
    const placed = !layout && replacing.nodes.every((node) => node.position) ? drawn.nodes : await autoLayout(drawn.nodes, drawn.edges);
    commit({ nodes: placed, edges: drawn.edges });
    setTimeout(() => void flow.fitView({ maxZoom: 1 }));
  }

  async function rolledBack(version: number, definition: WorkflowDocument) {
    setLiveVersion(version);
    setDiffShown(null);
    await replaceDocument(definition, { layout: false });
    setMessage(`Rolled back: version ${version} is live and its graph is the draft.`);
  }

  const tested = useMemo(() => (testRun ? testedSteps(testRun) : new Map()), [testRun]);
  const shownNodes = useMemo(
    () =>
      canvas.nodes.map((node) => {
        const pinned = findings.byNode.get(node.id);
        const wanted = pinned?.map((finding) => `${finding.field}: ${finding.reason}`);
        const step = tested.get(node.id);
        return wanted || step ? { ...node, data: { ...node.data, findings: wanted, tested: step } } : node;
      }),
    [canvas.nodes, findings, tested],
  );

  const mode = meta.settings?.mode === "express" ? "express" : "standard";
  const selected = canvas.nodes.find((node) => node.id === selectedId);
  const types = [...paramSchemas.keys()];

  return (
    <div className="builder">
      <div className="toolbar" role="toolbar" aria-label="Workflow">
        <label>
          Name <input value={name} onChange={(event) => setName(event.target.value)} disabled={!canEdit} />
        </label>
        <button type="button" onClick={undo} disabled={!past.length}>
          Undo
        </button>
        <button type="button" onClick={redo} disabled={!future.length}>
          Redo
        </button>
        <button type="button" onClick={() => void layout()} disabled={!canvas.nodes.length}>
          Auto-layout
        </button>
        <button type="button" onClick={() => void run(save).then((ok) => ok && setMessage("Draft saved."))} disabled={!canEdit || busy}>
          Save draft
        </button>
        <label>
          Note <input value={note} onChange={(event) => setNote(event.target.value)} disabled={!canEdit} />
        </label>
        <button type="button" onClick={() => void run(publish)} disabled={!canEdit || busy || validity !== "valid"}>
          Publish
        </button>
        <button type="button" onClick={() => void run(start)} disabled={!canEdit || busy || liveVersion === null}>
          Run
        </button>
        <button type="button" aria-pressed={panel === "test"} onClick={() => setPanel(panel === "test" ? "properties" : "test")}>
          Test draft
        </button>
        <button
          type="button"
          aria-pressed={panel === "versions"}
          disabled={workflowId === "new"}
          onClick={() => setPanel(panel === "versions" ? "properties" : "versions")}
        >
          Versions
        </button>
        <button type="button" onClick={exportJson}>
          Export JSON
        </button>
        <label className="file">
          Import JSON
          <input type="file" accept="application/json" onChange={(event) => event.target.files?.[0] && void importJson(event.target.files[0])} />
        </label>
        <span className={`validity ${validity}`} role="status" data-testid="validity">
          {validity === "valid" ? "Valid" : validity === "invalid" ? "Has problems" : validity === "checking" ? "Checking…" : ""}
        </span>
      </div>
      <ProblemView error={loadError ?? actionError ?? schema.error} />
      {message && <p role="status" className="message">{message}</p>}
      {refusal && <p role="status" className="refusal">Connection refused: {refusal}</p>}
      {findings.general.length > 0 && (
        <ul className="general-findings" aria-label="Workflow problems">
          {findings.general.map((finding) => (
            <li key={finding}>{finding}</li>
          ))}
        </ul>
      )}
      <div className="builder-body">
        <NodeLibrary types={types} onAdd={(type) => addNode(type, { x: 80 + canvas.nodes.length * 30, y: 80 + canvas.nodes.length * 30 })} disabled={!canEdit} />
        {diffShown && <DiffCanvas shown={diffShown} onClose={() => setDiffShown(null)} />}
        <div className="canvas" hidden={diffShown !== null} onDragOver={(event) => event.preventDefault()} onDrop={onDrop} data-testid="canvas">
          <ReactFlow
            nodes={shownNodes}
            edges={canvas.edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onConnectEnd={() => undefined}
            isValidConnection={isValidConnection}
            onNodeDragStart={() => setPast((history) => [...history.slice(-99), canvas])}
            nodesDraggable={canEdit}
            nodesConnectable={canEdit}
            deleteKeyCode={canEdit ? ["Backspace", "Delete"] : null}
            defaultViewport={{ x: 0, y: 0, zoom: 1 }}
            onlyRenderVisibleElements
          >
            <Background />
            <Controls />
          </ReactFlow>
        </div>
        <aside className="properties" aria-label={panel === "versions" ? "Versions" : panel === "test" ? "Test run" : "Properties"}>
          {panel === "test" ? (
            <TestRunPanel disabled={!canEdit || validity === "invalid"} busy={busy} result={testRun} onRun={(input) => void run(() => runTest(input))} />
          ) : panel === "versions" ? (
            <VersionsPanel
              workflowId={workflowId}
              mode={mode}
              canRollback={canEdit}
              refresh={versionsShown}
              onDiff={setDiffShown}
              onRolledBack={(version, definition) => void rolledBack(version, definition)}
            />
          ) : selected ? (
            <PropertyPanel
              key={selected.id}
              node={selected.data.node}
              schema={paramSchemas.get(selected.data.node.type)}
              defs={schema.data?.$defs ?? {}}
              findings={findings.byNode.get(selected.id) ?? []}
              disabled={!canEdit}
              samplePaths={pathsOf(sampleInputOf(selected.id, lastRun.data?.steps ?? [], document.edges) ?? {})}
              sampleSource={lastRun.data?.executionId ?? null}
              onChange={(change) => updateNode(selected.id, change)}
            />
          ) : (
            <p className="muted">Select a node to edit its parameters.</p>
          )}
        </aside>
      </div>
    </div>
  );
}

function NodeLibrary({ types, onAdd, disabled }: { types: string[]; onAdd: (type: string) => void; disabled: boolean }) {
  const [search, setSearch] = useState("");
  const shown = types.filter((type) => type.includes(search.trim().toLowerCase()));
  return (
    <nav className="library" aria-label="Node library">
      <label>
        Search nodes
        <input type="search" value={search} onChange={(event) => setSearch(event.target.value)} />
      </label>
      {CATEGORIES.map((category) => {
        const inCategory = shown.filter((type) => categoryOf(type) === category);
        if (!inCategory.length) return null;
        return (
          <section key={category}>
            <h2>{category}</h2>
            {inCategory.map((type) => (
              <button
                key={type}
                type="button"
                className="library-item"
                data-testid={`library-${type}`}
                draggable={!disabled}
                disabled={disabled}
                onDragStart={(event) => {
                  event.dataTransfer.setData(NODE_MIME, type);
                  event.dataTransfer.effectAllowed = "move";
                }}
                onClick={() => onAdd(type)}
                title="Drag to the canvas, or click to add"
              >
                {type}
              </button>
            ))}
          </section>
        );
      })}
      {!shown.length && <p className="empty">No node type matches.</p>}
    </nav>
  );
}

type WorkflowNodeValue = ForgeNode["data"]["node"];

function PropertyPanel({
  node,
  schema,
  defs,
  findings,
  disabled,
  samplePaths,
  sampleSource,
  onChange,
}: {
  node: WorkflowNodeValue;
  schema: JsonSchema | undefined;
  defs: Record<string, JsonSchema>;
  findings: { field: string; reason: string }[];
  disabled: boolean;
  samplePaths: PathOption[];
  sampleSource: string | null;
  onChange: (change: (node: WorkflowNodeValue) => WorkflowNodeValue) => void;
}) {
  const fields = schema ? fieldsOf(schema, defs) : [];
  const [inputErrors, setInputErrors] = useState<Record<string, string>>({});
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const findingsOf = (field: string) => findings.filter((finding) => finding.field === field);
  const nodeLevel = findings.filter((finding) => !fields.some((field) => field.name === finding.field));
  return (
    <form className="property-form" onSubmit={(event) => event.preventDefault()} aria-label={`Parameters of ${node.id}`}>
      <h2>
        {node.type} <code>{node.id}</code>
      </h2>
      <label>
        Name
        <input
          name="name"
          value={node.name ?? ""}
          disabled={disabled}
          onChange={(event) => onChange((current) => ({ ...current, name: event.target.value || undefined }))}
        />
      </label>
      <label>
        On error
        <select
          name="on_error"
          value={node.on_error ?? "stop"}
          disabled={disabled}
          onChange={(event) =>
            onChange((current) => ({ ...current, on_error: event.target.value as WorkflowNodeValue["on_error"] }))
          }
        >
          <option value="stop">stop</option>
          <option value="continue">continue</option>
          <option value="error_output">error_output</option>
        </select>
      </label>
      {fields.map((field) => {
        const value = node.params?.[field.name];
        const shown: string | boolean = field.name in drafts ? drafts[field.name] : formatFieldValue(field, value);
        const problems = [...findingsOf(field.name).map((finding) => finding.reason), ...(inputErrors[field.name] ? [inputErrors[field.name]] : [])];
        const inputId = `field-${node.id}-${field.name}`;
        const set = (input: string | boolean) => {
          if (typeof input === "string") setDrafts((current) => ({ ...current, [field.name]: input }));
          const parsed = parseFieldInput(field, input);
          setInputErrors((current) => ({ ...current, [field.name]: parsed.error ?? "" }));
          if (parsed.error) return;
          onChange((current) => {
            const params = { ...(current.params ?? {}) };
            if (parsed.value === undefined) delete params[field.name];
            else params[field.name] = parsed.value;
            return { ...current, params };
          });
        };
        return (
          <div key={field.name} className={`field${problems.length ? " invalid" : ""}`} data-field={field.name}>
            <label htmlFor={field.kind === "expression" ? undefined : inputId} id={`${inputId}-label`}>
              {field.label}
              {field.required && " *"}
            </label>
            {field.kind === "boolean" ? (
              <input id={inputId} type="checkbox" checked={shown === true} disabled={disabled} onChange={(event) => set(event.target.checked)} />
            ) : field.kind === "choice" ? (
              <select id={inputId} value={String(shown)} disabled={disabled} onChange={(event) => set(event.target.value)}>
                <option value="">(default{field.default !== undefined ? `: ${String(field.default)}` : ""})</option>
                {field.choices?.map((choice) => (
                  <option key={choice} value={choice}>
                    {choice}
                  </option>
                ))}
              </select>
            ) : field.kind === "expression" ? (
              <Suspense fallback={<p className="muted">Loading editor…</p>}>
                <ExpressionEditor
                  value={String(shown)}
                  onChange={set}
                  paths={samplePaths}
                  labelledBy={`${inputId}-label`}
                  invalid={problems.some(Boolean)}
                  disabled={disabled}
                />
              </Suspense>
            ) : field.kind === "json" ? (
              <textarea
                id={inputId}
                className="json"
                rows={4}
                value={String(shown)}
                disabled={disabled}
                spellCheck={false}
                aria-invalid={problems.length > 0}
                onChange={(event) => set(event.target.value)}
              />
            ) : (
              <input
                id={inputId}
                type={field.kind === "text" ? "text" : "number"}
                value={String(shown)}
                disabled={disabled}
                aria-invalid={problems.length > 0}
                onChange={(event) => set(event.target.value)}
              />
            )}
            {field.kind === "expression" && sampleSource && (
              <small className="muted" data-testid="completion-source">
                Completes $states.input paths from execution {sampleSource}
              </small>
            )}
            {field.description && <small className="muted">{field.description}</small>}
            {problems.filter(Boolean).map((problem) => (
              <p key={problem} className="field-problem" role="alert">
                {problem}
              </p>
            ))}
          </div>
        );
      })}
      {nodeLevel.map((finding) => (
        <p key={finding.field + finding.reason} className="field-problem" role="alert">
          {finding.field ? `${finding.field}: ` : ""}
          {finding.reason}
        </p>
      ))}
      <details>
        <summary>Node JSON</summary>
        <pre>{JSON.stringify(node, null, 2)}</pre>
      </details>
    </form>
  );
}
