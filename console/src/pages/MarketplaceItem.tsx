import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";
import { fieldsOf, formatFieldValue, parseFieldInput, type Field } from "../forms/schema";
import { parametersSchema } from "../marketplace/search";
import { ITEM_SECTIONS } from "../marketplace/sections";

type ItemVersion = Schemas["ItemVersion"];

function ScanReport({ namespace, name, version }: { namespace: string; name: string; version: string }) {
  const loaded = useLoad(
    () =>
      unwrap(
        api.GET("/v1/marketplace/items/{namespace}/{name}/versions/{version}/scan", {
          params: { path: { namespace, name, version } },
        }),
      ),
    [namespace, name, version],
  );
  return (
    <section aria-label={`Scan report of ${version}`}>
      <h2>Scan report of {version}</h2>
      {loaded.data && (
        <p>
          Status: <span className={`badge scan-${loaded.data.status}`}>{loaded.data.status}</span>{" "}
          <span className="muted">rules {loaded.data.rules_version ?? "—"}</span>
        </p>
      )}
      <ListState loaded={loaded} items={loaded.data?.findings} empty="No findings.">
        {(findings) => (
          <table>
            <thead>
              <tr>
                <th>Rule</th>
                <th>Where</th>
                <th>Finding</th>
              </tr>
            </thead>
            <tbody>
              {findings.map((finding) => (
                <tr key={finding.rule + finding.pointer + finding.message}>
                  <td>{finding.rule}</td>
                  <td>
                    <code>{finding.pointer}</code>
                  </td>
                  <td>{finding.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListState>
    </section>
  );
}

function Versions({ item, onScan }: { item: Schemas["ItemView"]; onScan: (version: string) => void }) {
  const loaded = useLoad(
    () =>
      unwrap(
        api.GET("/v1/marketplace/items/{namespace}/{name}/versions", {
          params: { path: { namespace: item.namespace, name: item.name } },
        }),
      ),
    [item.namespace, item.name],
  );
  return (
    <section aria-label="Versions">
      <h2>Versions</h2>
      <ListState loaded={loaded} items={loaded.data?.items} empty="No versions.">
        {(versions: ItemVersion[]) => (
          <table>
            <thead>
              <tr>
                <th>Version</th>
                <th>Scan</th>
                <th>Signatures</th>
                <th>State</th>
                <th>Published</th>
                <th>Report</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((version) => (
                <tr key={version.version} data-testid="marketplace-version">
                  <td>{version.version}</td>
                  <td>
                    <span className={`badge scan-${version.status}`}>{version.status}</span>
                  </td>
                  <td>{version.countersigned ? "publisher + platform" : "publisher only"}</td>
                  <td>
                    {version.yanked && <span className="badge">yanked</span>}{" "}
                    {version.deprecation && <span className="badge">deprecated: {version.deprecation}</span>}
                    {!version.yanked && !version.deprecation && "—"}
                  </td>
                  <td>{formatTime(version.published_at)}</td>
                  <td>
                    <button type="button" onClick={() => onScan(version.version)}>
                      Scan report of {version.version}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListState>
    </section>
  );
}

function InstallTemplate({ item }: { item: Schemas["ItemView"] }) {
  const fields: Field[] = fieldsOf(parametersSchema(item.parameters ?? []));
  const [inputs, setInputs] = useState<Record<string, string | boolean>>(() =>
    Object.fromEntries(fields.map((field) => [field.name, formatFieldValue(field, field.default)])),
  );
  const [invalid, setInvalid] = useState<string[]>([]);
  const [installed, setInstalled] = useState<Schemas["Install"]>();
  const [error, busy, run] = useAction();
  function install(event: FormEvent) {
    event.preventDefault();
    const parameters: Record<string, unknown> = {};
    const problems: string[] = [];
    for (const field of fields) {
      const parsed = parseFieldInput(field, inputs[field.name] ?? "");
      if (parsed.error) problems.push(parsed.error);
      else if (parsed.value !== undefined) parameters[field.name] = parsed.value;
    }
    setInvalid(problems);
    if (problems.length > 0) return;
    void run(async () => {
      setInstalled(
        await unwrap(
          api.POST("/v1/marketplace/installs", {
            body: { namespace: item.namespace, name: item.name, version: item.latest_version, parameters },
          }),
        ),
      );
    });
  }
  return (
    <section aria-label="Install">
      <h2>Install {item.latest_version}</h2>
      <form className="property-form" onSubmit={install} aria-label="Install parameters">
        {fields.map((field) => (
          <div className="field" key={field.name}>
            <label>
              {field.label}
              {field.required ? " *" : ""}{" "}
              {field.kind === "boolean" ? (
                <input
                  type="checkbox"
                  checked={inputs[field.name] === true}
                  onChange={(event) => setInputs({ ...inputs, [field.name]: event.target.checked })}
                />
              ) : field.choices ? (
                <select
                  required={field.required}
                  value={String(inputs[field.name] ?? "")}
                  onChange={(event) => setInputs({ ...inputs, [field.name]: event.target.value })}
                >
                  <option value="" />
                  {field.choices.map((choice) => (
                    <option key={choice}>{choice}</option>
                  ))}
                </select>
              ) : (
                <input
                  required={field.required}
                  value={String(inputs[field.name] ?? "")}
                  onChange={(event) => setInputs({ ...inputs, [field.name]: event.target.value })}
                />
              )}
            </label>
            {field.description && <span className="muted">{field.description}</span>}
          </div>
        ))}
        {invalid.map((problem) => (
          <p key={problem} className="field-problem" role="alert">
            {problem}
          </p>
        ))}
        <button type="submit" disabled={busy}>
          Install
        </button>
      </form>
      <ProblemView error={error} />
      {installed?.workflow_id && (
        <div role="status" className="secret">
          Installed as a draft workflow:{" "}
          <Link to={`/workflows/${installed.workflow_id}`}>open the draft workflow</Link>
          {installed.missing_credentials.length > 0 && (
            <p>
              Create these credentials before it runs: <code>{installed.missing_credentials.join(", ")}</code>
            </p>
          )}
        </div>
      )}
    </section>
  );
}

/** A marketplace item: its listing, versions with their scan and signatures, and installing a template. */
export function MarketplaceItem() {
  const { namespace = "", name = "" } = useParams();
  const loaded = useLoad(
    () => unwrap(api.GET("/v1/marketplace/items/{namespace}/{name}", { params: { path: { namespace, name } } })),
    [namespace, name],
  );
  const [scanned, setScanned] = useState<string>();
  const item = loaded.data;
  if (loaded.error) return <ProblemView error={loaded.error} />;
  if (!item) return <p className="muted">Loading…</p>;
  const canInstall = roleAtLeast(loadSession(), "editor");
  return (
    <section>
      <p>
        <Link to="/marketplace">← Marketplace</Link>
      </p>
      <h1>{item.title}</h1>
      <p>
        <span className="badge">{item.kind}</span> by <strong>{item.namespace}</strong>{" "}
        {item.publisher_verified ? (
          <span className="badge verified">verified publisher</span>
        ) : (
          <span className="muted">unverified publisher</span>
        )}
      </p>
      <p>{item.description}</p>
      <dl className="item-facts">
        <dt>Licence</dt>
        <dd>{item.license}</dd>
        <dt>Categories</dt>
        <dd>{item.categories.length > 0 ? item.categories.join(", ") : "—"}</dd>
        <dt>Latest approved version</dt>
        <dd>{item.latest_version}</dd>
      </dl>
      {item.kind === "workflow_template" && canInstall && <InstallTemplate item={item} />}
      <Versions item={item} onScan={setScanned} />
      {scanned && <ScanReport namespace={namespace} name={name} version={scanned} />}
      <div className="item-sections">
        {ITEM_SECTIONS.map(({ id, title, Component }) => (
          <section key={id} aria-label={title}>
            <h2>{title}</h2>
            <Component item={item} />
          </section>
        ))}
      </div>
    </section>
  );
}
