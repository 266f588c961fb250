import { useState, type FormEvent } from "react";

import { api, unwrap } from "../api/client";
import { loadSession, roleAtLeast, type Role } from "../api/session";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";

export function Members() {
  const canManage = roleAtLeast(loadSession(), "admin");
  const loaded = useLoad(() => unwrap(api.GET("/v1/members")));
  const [subject, setSubject] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [error, busy, run] = useAction();
  function add(event: FormEvent) {
    event.preventDefault();
    void run(async () => {
      await unwrap(api.POST("/v1/members", { body: { subject, email: email || null, role } }));
      setSubject("");
      setEmail("");
      loaded.reload();
    });
  }
  return (
    <section>
      <h1>Members</h1>
      <ProblemView error={error} />
      {canManage && (
        <form className="inline-form" onSubmit={add} aria-label="New member">
          <label>
            Subject <input required value={subject} onChange={(event) => setSubject(event.target.value)} />
          </label>
          <label>
            Email <input type="email" value={email} onChange={(event) => setEmail(event.target.value)} />
          </label>
          <label>
            Role{" "}
            <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
              <option>viewer</option>
              <option>editor</option>
              <option>admin</option>
              <option>owner</option>
            </select>
          </label>
          <button type="submit" disabled={busy}>
            Add member
          </button>
        </form>
      )}
      <ListState loaded={loaded} items={loaded.data?.items} empty="No members.">
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>Subject</th>
                <th>Email</th>
                <th>Role</th>
                <th>Since</th>
              </tr>
            </thead>
            <tbody>
              {items.map((member) => (
                <tr key={member.subject}>
                  <td>{member.subject}</td>
                  <td>{member.email ?? "—"}</td>
                  <td>{member.role}</td>
                  <td>{formatTime(member.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListState>
    </section>
  );
}
