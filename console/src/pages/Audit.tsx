import { useState } from "react";

import { api, unwrap } from "../api/client";
import { formatTime, ListState, useLoad } from "../components/common";

const PAGE_SIZES = [25, 50, 100];

/** The tenant's audit log (admins and owners; the API answers anyone else with its problem), newest first. */
export function Audit() {
  const [limit, setLimit] = useState(PAGE_SIZES[0]);
  // The cursors of the pages before this one, so "Newer" goes back without the API keeping any state.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const loaded = useLoad(
    () => unwrap(api.GET("/v1/audit-events", { params: { query: { limit, cursor } } })),
    [limit, cursor],
  );
  return (
    <section>
      <h1>Audit log</h1>
      <div className="filters">
        <label>
          Events per page
          <select
            value={limit}
            onChange={(event) => {
              setLimit(Number(event.target.value));
              setCursors([undefined]);
            }}
          >
            {PAGE_SIZES.map((size) => (
              <option key={size}>{size}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={loaded.reload}>
          Refresh
        </button>
      </div>
      <ListState loaded={loaded} items={loaded.data?.items} empty="No audit events yet.">
        {(items) => (
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>Actor</th>
                <th>Action</th>
                <th>Target</th>
                <th>Status</th>
                <th>Request</th>
              </tr>
            </thead>
            <tbody>
              {items.map((event) => (
                <tr key={event.event_id} data-testid="audit-event">
                  <td>{formatTime(event.occurred_at)}</td>
                  <td>
                    {event.actor} <span className="muted">({event.actor_method})</span>
                  </td>
                  <td>{event.action}</td>
                  <td>{event.target}</td>
                  <td>{event.status_code}</td>
                  <td>
                    <code>{event.request_id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListState>
      <div className="toolbar">
        {cursors.length > 1 && (
          <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </button>
        )}
        {loaded.data?.next_cursor && (
          <button type="button" onClick={() => setCursors([...cursors, loaded.data?.next_cursor ?? undefined])}>
            Older
          </button>
        )}
      </div>
    </section>
  );
}
