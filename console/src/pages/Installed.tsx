import { useState } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";
import { planLines, uninstallSummary } from "../marketplace/plan";

export function Installed() {
  const loaded = useLoad(() => unwrap(api.GET("/v1/marketplace/installs")));
  const canChange = roleAtLeast(loadSession(), "editor");
  const [plan, setPlan] = useState<Schemas["UpdatePlan"] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, busy, run] = useAction();

  function checkUpdate(installId: string) {
    void run(async () => {
      setNotice(null);
      const found = await unwrap(
        api.GET("/v1/marketplace/installs/{install_id}/update", { params: { path: { install_id: installId } } }),
      );
      setPlan(found);
    });
  }

  function applyUpdate(shown: Schemas["UpdatePlan"]) {
    void run(async () => {
      await unwrap(
        api.POST("/v1/marketplace/installs/{install_id}/update", {
          params: { path: { install_id: shown.install_id } },
          body: { version: shown.to_version },
        }),
      );
      setPlan(null);
      setNotice(`Updated to ${shown.to_version}.`);
      loaded.reload();
    });
  }

  function uninstall(installId: string) {
    void run(async () => {
      const result = await unwrap(
        api.DELETE("/v1/marketplace/installs/{install_id}", { params: { path: { install_id: installId } } }),
      );
      setPlan(null);
      setNotice(uninstallSummary(result));
      loaded.reload();
    });
  }

  return (
    <section>
      <h1>Installed</h1>
      <ProblemView error={error} />
      {notice && <p role="status">{notice}</p>}
      {plan && (
        <section aria-label="Update plan">
          <h2>
            Update {plan.from_version} → {plan.to_version}
          </h2>
          <ul>
            {planLines(plan).map((line) => (
              <li key={`${line.change} ${line.what}`}>
                <strong>{line.change}</strong> {line.what}
              </li>
            ))}
          </ul>
          {planLines(plan).length === 0 && <p>Nothing changes.</p>}
          <button type="button" disabled={!canChange || busy} onClick={() => applyUpdate(plan)}>
            Apply update
          </button>{" "}
          <button type="button" onClick={() => setPlan(null)}>
            Cancel
          </button>
        </section>
      )}
      <ListState loaded={loaded} items={loaded.data?.items} empty="Nothing installed from the marketplace yet.">
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>Item</th>
                <th>Version</th>
                <th>Kind</th>
                <th>Added</th>
                <th>Missing credentials</th>
                <th>Installed</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((install) => (
                <tr key={install.install_id}>
                  <td>
                    {install.namespace}/{install.name}
                  </td>
                  <td>{install.version}</td>
                  <td>{install.kind}</td>
                  <td>{install.added.map((thing) => `${thing.kind} ${thing.id}`).join(", ")}</td>
                  <td>{install.missing_credentials.join(", ")}</td>
                  <td>{formatTime(install.installed_at)}</td>
                  <td>
                    <button type="button" disabled={busy} onClick={() => checkUpdate(install.install_id)}>
                      Check for update
                    </button>{" "}
                    <button type="button" disabled={!canChange || busy} onClick={() => uninstall(install.install_id)}>
                      Uninstall
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
