import { useState, type FormEvent } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { loadSession, roleAtLeast } from "../api/session";
import { formatTime, ListState, ProblemView, Secret, useAction, useLoad } from "../components/common";

export function Webhooks() {
  const loaded = useLoad(() => unwrap(api.GET("/v1/hooks")));
  const canCreate = roleAtLeast(loadSession(), "editor");
  const canRotate = roleAtLeast(loadSession(), "admin");
  const [name, setName] = useState("");
  const [workflowId, setWorkflowId] = useState("");
  const [created, setCreated] = useState<Schemas["HookWithSecret"] | null>(null);
  const [error, busy, run] = useAction();

  function create(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      setCreated(await unwrap(api.POST("/v1/hooks", { body: { name, workflow_id: workflowId } })));
      setName("");
      loaded.reload();
    });
  }

  function rotate(hookId: string) {
    void run(async () => {
      const rotated = await unwrap(api.POST("/v1/hooks/{hook_id}/rotate-secret", { params: { path: { hook_id: hookId } } }));
      setCreated({ ...(loaded.data?.items.find((hook) => hook.hook_id === hookId) as Schemas["Hook"]), secret: rotated.secret });
      loaded.reload();
    });
  }

  const origin = window.location.origin;
  return (
    <section>
      <h1>Webhooks</h1>
      {created && (
        <>
          <Secret label={`Signing secret of ${created.name}`} value={created.secret} />
          <p>Deliveries go to:</p>
          <pre className="example">{`curl -X POST ${origin}${created.url} -H 'content-type: application/json' \\
  -H "webhook-id: msg_1" -H "webhook-timestamp: $(date +%s)" \\
  -H "webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body with the secret>" -d '{}'`}</pre>
        </>
      )}
      <ProblemView error={error} />
      {canCreate && (
        <form className="inline-form" onSubmit={create} aria-label="New webhook">
          <label>
            Name <input required value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <label>
            Workflow id <input required value={workflowId} onChange={(event) => setWorkflowId(event.target.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Create webhook
          </button>
        </form>
      )}
      <ListState loaded={loaded} items={loaded.data?.items} empty="No webhooks yet.">
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Workflow</th>
                <th>URL</th>
                <th>Scheme</th>
                <th>Created</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((hook) => (
                <tr key={hook.hook_id}>
                  <td>{hook.name}</td>
                  <td>{hook.workflow_id}</td>
                  <td>
                    <code>{hook.url}</code>
                  </td>
                  <td>{hook.scheme}</td>
                  <td>{formatTime(hook.created_at)}</td>
                  <td>
                    <button type="button" disabled={!canRotate || busy} onClick={() => rotate(hook.hook_id)}>
                      Rotate secret
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
