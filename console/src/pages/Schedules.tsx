import { useState, type FormEvent } from "react";

import { api, unwrap } from "../api/client";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";

export function Schedules() {
  const loaded = useLoad(() => unwrap(api.GET("/v1/schedules")));
  const canEdit = roleAtLeast(loadSession(), "editor");
  const [form, setForm] = useState({ name: "", workflow_id: "", expression: "rate(1 hour)", timezone: "UTC" });
  const [error, busy, run] = useAction();
  function create(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await unwrap(api.POST("/v1/schedules", { body: form }));
      loaded.reload();
    });
  }
  const input = (key: keyof typeof form, label: string) => (
    <label>
      {label} <input required value={form[key]} onChange={(event) => setForm({ ...form, [key]: event.target.value })} />
    </label>
  );
  return (
    <section>
      <h1>Schedules</h1>
      <ProblemView error={error} />
      {canEdit && (
        <form className="inline-form" onSubmit={create} aria-label="New schedule">
          {input("name", "Name")}
          {input("workflow_id", "Workflow id")}
          {input("expression", "Expression")}
          {input("timezone", "Time zone")}
          <button type="submit" disabled={busy}>
            Create schedule
          </button>
        </form>
      )}
      <ListState loaded={loaded} items={loaded.data?.items} empty="No schedules yet.">
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Workflow</th>
                <th>Expression</th>
                <th>Enabled</th>
                <th>Next fire times ({items[0]?.timezone})</th>
              </tr>
            </thead>
            <tbody>
              {items.map((schedule) => (
                <tr key={schedule.schedule_id}>
                  <td>{schedule.name}</td>
                  <td>{schedule.workflow_id}</td>
                  <td>
                    <code>{schedule.expression}</code> {schedule.timezone}
                  </td>
                  <td>{schedule.enabled ? "yes" : "no"}</td>
                  <td>{schedule.next_fire_times.slice(0, 3).map(formatTime).join(", ") || "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListState>
    </section>
  );
}
