import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Link } from "react-router-dom";

import { api, ProblemError, unwrap, type Schemas } from "../api/client";
import { ProblemView, useAction, useLoad } from "../components/common";
import { formatFieldValue, type Field } from "../forms/schema";
import {
  credentialChoices,
  credentialKey,
  installFields,
  installRequest,
  installSummary,
  missingCredentials,
  parameterKey,
  problemFields,
  type FieldErrors,
  type InstallInputs,
} from "./install";
import { planLines } from "./plan";

type ItemView = Schemas["ItemView"];

/** A modal dialog (the browser's own: focus kept inside, Escape closes), labelled by its heading. */
function Modal({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal?.();
    return () => dialog?.close?.();
  }, []);
  const headingId = `dialog-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <dialog ref={ref} className="install-dialog" aria-labelledby={headingId} onClose={onClose}>
      <h2 id={headingId}>{title}</h2>
      {children}
      <button type="button" onClick={onClose}>
        Close
      </button>
    </dialog>
  );
}

function Problems({ messages }: { messages: string[] | undefined }) {
  return (
    <>
      {(messages ?? []).map((message) => (
        <p key={message} className="field-problem" role="alert">
          {message}
        </p>
      ))}
    </>
  );
}

/** The API's problem without the field paths the dialog shows under their fields. */
function ProblemRest({ error }: { error: unknown }) {
  if (!(error instanceof ProblemError)) return <ProblemView error={error} />;
  const { other } = problemFields(error);
  return <ProblemView error={new ProblemError({ ...error.problem, "invalid-params": other })} />;
}

function ParameterField({
  field,
  value,
  errors,
  onChange,
}: {
  field: Field;
  value: string | boolean;
  errors: string[] | undefined;
  onChange: (value: string | boolean) => void;
}) {
  const describedBy = errors?.length ? `${field.name}-problems` : undefined;
  return (
    <div className="field">
      <label>
        {field.label}
        {field.required ? " *" : ""}{" "}
        {field.kind === "boolean" ? (
          <input type="checkbox" checked={value === true} onChange={(event) => onChange(event.target.checked)} />
        ) : field.choices ? (
          <select
            required={field.required}
            aria-invalid={Boolean(describedBy)}
            aria-describedby={describedBy}
            value={String(value ?? "")}
            onChange={(event) => onChange(event.target.value)}
          >
            <option value="" />
            {field.choices.map((choice) => (
              <option key={choice}>{choice}</option>
            ))}
          </select>
        ) : (
          <input
            required={field.required}
            aria-invalid={Boolean(describedBy)}
            aria-describedby={describedBy}
            value={String(value ?? "")}
            onChange={(event) => onChange(event.target.value)}
          />
        )}
      </label>
      {field.description && <span className="muted">{field.description}</span>}
      <div id={describedBy}>
        <Problems messages={errors} />
      </div>
    </div>
  );
}

function Result({ install }: { install: Schemas["Install"] }) {
  return (
    <div role="status" className="secret">
      <p>{installSummary(install)}</p>
      {install.workflow_id && <Link to={`/workflows/${install.workflow_id}`}>open the draft workflow</Link>}{" "}
      <Link to="/installed">Installed items</Link>
    </div>
  );
}

/** Installing the item's latest version: a template's parameters, the item's credentials mapped to the tenant's of
 * the same kind (missing ones listed with a link to create them), and what the install adds; then its result or the
 * API's problem, each field's under its field. */
export function InstallDialog({
  item,
  onClose,
  onInstalled,
}: {
  item: ItemView;
  onClose: () => void;
  onInstalled: () => void;
}) {
  const fields = installFields(item);
  const credentials = useLoad(() => unwrap(api.GET("/v1/credentials", { params: { query: { limit: 100 } } })), []);
  const choices = credentialChoices(item, credentials.data?.items ?? []);
  const [inputs, setInputs] = useState<InstallInputs>(() =>
    Object.fromEntries(fields.map((field) => [field.name, formatFieldValue(field, field.default)])),
  );
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [invalid, setInvalid] = useState<FieldErrors>({});
  const [installed, setInstalled] = useState<Schemas["Install"]>();
  const [error, busy, run] = useAction();
  const chosen = (name: string) => mapping[name] ?? choices.find((choice) => choice.name === name)?.preselected ?? "";
  const errors = { ...invalid, ...problemFields(error).fields };

  function install(event: FormEvent) {
    event.preventDefault();
    const request = installRequest(
      item,
      fields,
      inputs,
      Object.fromEntries(choices.map((choice) => [choice.name, chosen(choice.name)])),
    );
    setInvalid("errors" in request ? request.errors : {});
    if ("errors" in request) return;
    void run(async () => {
      setInstalled(await unwrap(api.POST("/v1/marketplace/installs", { body: request.body })));
      onInstalled();
    });
  }

  const missing = missingCredentials(choices);
  const presets = item.node_presets ?? [];
  return (
    <Modal title={`Install ${item.title} ${item.latest_version}`} onClose={onClose}>
      {installed ? (
        <Result install={installed} />
      ) : (
        <form className="property-form" onSubmit={install} aria-label="Install parameters">
          {fields.map((field) => (
            <ParameterField
              key={field.name}
              field={field}
              value={inputs[field.name] ?? ""}
              errors={errors[parameterKey(field.name)]}
              onChange={(value) => setInputs({ ...inputs, [field.name]: value })}
            />
          ))}
          {choices.length > 0 && (
            <fieldset>
              <legend>Credentials</legend>
              <ProblemView error={credentials.error} />
              {choices
                .filter((choice) => choice.options.length > 0)
                .map((choice) => (
                  <div className="field" key={choice.name}>
                    <label>
                      {choice.name} ({choice.kind}){" "}
                      <select
                        value={chosen(choice.name)}
                        onChange={(event) => setMapping({ ...mapping, [choice.name]: event.target.value })}
                      >
                        <option value="">none yet</option>
                        {choice.options.map((option) => (
                          <option key={option}>{option}</option>
                        ))}
                      </select>
                    </label>
                    {choice.description && <span className="muted">{choice.description}</span>}
                    <Problems messages={errors[credentialKey(choice.name)]} />
                  </div>
                ))}
              {credentials.data && missing.length > 0 && (
                <div aria-label="Missing credentials" role="group">
                  <p>
                    Your tenant has no credential of these kinds; the install is made all the same, and runs fail
                    until you create them:
                  </p>
                  <ul>
                    {missing.map((choice) => (
                      <li key={choice.name}>
                        <code>{choice.name}</code> ({choice.kind}){" "}
                        <Link to={`/credentials?name=${encodeURIComponent(choice.name)}&kind=${choice.kind}`}>create {choice.name}</Link>
                      </li>
                    ))}
                  </ul>
                </div>
              )}
            </fieldset>
          )}
          {item.server_url && (
            <p>
              {item.kind === "mcp_server" ? "Registers the MCP server " : "Calls "}
              <code>{item.server_url}</code>
            </p>
          )}
          {presets.length > 0 && (
            <details open={presets.length <= 5}>
              <summary>
                Adds {presets.length} node {presets.length === 1 ? "preset" : "presets"} to your node library
              </summary>
              <ul aria-label="Node presets it adds">
                {presets.map((preset) => (
                  <li key={preset.preset_id}>
                    <code>{preset.preset_id}</code> {preset.method && <strong>{preset.method}</strong>}{" "}
                    {preset.path}{" "}
                    <span className="muted">{preset.title}</span>
                  </li>
                ))}
              </ul>
            </details>
          )}
          <ProblemRest error={error} />
          <button type="submit" disabled={busy}>
            Install
          </button>
        </form>
      )}
    </Modal>
  );
}

/** "Update" of an install at an older version: the API's plan (added, changed, removed, kept) before applying it. */
export function UpdateDialog({
  install,
  item,
  onClose,
  onUpdated,
}: {
  install: Schemas["Install"];
  item: ItemView;
  onClose: () => void;
  onUpdated: () => void;
}) {
  const plan = useLoad(
    () =>
      unwrap(
        api.GET("/v1/marketplace/installs/{install_id}/update", {
          params: { path: { install_id: install.install_id }, query: { version: item.latest_version } },
        }),
      ),
    [install.install_id, item.latest_version],
  );
  const [applied, setApplied] = useState(false);
  const [error, busy, run] = useAction();
  function apply(shown: Schemas["UpdatePlan"]) {
    void run(async () => {
      await unwrap(
        api.POST("/v1/marketplace/installs/{install_id}/update", {
          params: { path: { install_id: shown.install_id } },
          body: { version: shown.to_version },
        }),
      );
      setApplied(true);
      onUpdated();
    });
  }
  const shown = plan.data;
  return (
    <Modal title={`Update ${item.title} ${install.version} → ${item.latest_version}`} onClose={onClose}>
      <ProblemView error={plan.error} />
      {!shown && !plan.error && <p className="muted">Loading…</p>}
      {shown && (
        <>
          <ul aria-label="Update plan">
            {planLines(shown).map((line) => (
              <li key={`${line.change} ${line.what}`}>
                <strong>{line.change}</strong> {line.what}
              </li>
            ))}
          </ul>
          {planLines(shown).length === 0 && <p>Nothing changes.</p>}
          {applied ? (
            <p role="status">Updated to {shown.to_version}.</p>
          ) : (
            <button type="button" disabled={busy} onClick={() => apply(shown)}>
              Apply update
            </button>
          )}
        </>
      )}
      <ProblemView error={error} />
    </Modal>
  );
}
