import { useState } from "react";
import { Link, useParams } from "react-router-dom";

import { api, unwrap, type Schemas } from "../api/client";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ListState, ProblemView, useLoad } from "../components/common";
import { allInstalls, updatable } from "../marketplace/install";
import { InstallDialog, UpdateDialog } from "../marketplace/InstallDialog";
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

/** Install (any kind) and Update (an install at an older version, its plan shown first), each in a dialog. */
function InstallActions({ item }: { item: Schemas["ItemView"] }) {
  const installs = useLoad(allInstalls, [item.namespace, item.name]);
  const [dialog, setDialog] = useState<{ kind: "install" } | { kind: "update"; install: Schemas["Install"] }>();
  const mine = (installs.data ?? []).filter(
    (install) => install.namespace === item.namespace && install.name === item.name,
  );
  // Any kind but a template is installed once per tenant: then it is updated, not installed again.
  const installable = item.kind === "workflow_template" || (installs.data !== undefined && mine.length === 0);
  return (
    <section aria-label="Install">
      <h2>Install</h2>
      <ProblemView error={installs.error} />
      {mine.length > 0 && (
        <ul>
          {mine.map((install) => (
            <li key={install.install_id}>
              Installed: version {install.version}{" "}
              {updatable([install], item).length > 0 && (
                <button type="button" onClick={() => setDialog({ kind: "update", install })}>
                  Update to {item.latest_version}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {installable && (
        <button type="button" onClick={() => setDialog({ kind: "install" })}>
          Install {item.latest_version}…
        </button>
      )}
      {dialog?.kind === "install" && (
        <InstallDialog item={item} onClose={() => setDialog(undefined)} onInstalled={installs.reload} />
      )}
      {dialog?.kind === "update" && (
        <UpdateDialog
          install={dialog.install}
          item={item}
          onClose={() => setDialog(undefined)}
          onUpdated={installs.reload}
        />
      )}
    </section>
  );
}

/** A marketplace item: its listing, versions with their scan and signatures, installing and updating it. */
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
      {canInstall && <InstallActions item={item} />}
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
