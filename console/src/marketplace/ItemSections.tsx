import { useState, type FormEvent } from "react";

import { api, unwrap, type Schemas } from "../api/client";
import { formatTime, ListState, ProblemView, useAction, useLoad } from "../components/common";
import {
  hasInstalled,
  performanceRows,
  ratingSummary,
  reviewBody,
  reviewDraft,
  type ReviewDraft,
} from "./reviews";
import { allInstalls } from "./install";

type ItemView = Schemas["ItemView"];

function ReviewForm({ item, initial, onSaved }: { item: ItemView; initial: ReviewDraft; onSaved: () => void }) {
  const [draft, setDraft] = useState(initial);
  const [invalid, setInvalid] = useState<string>();
  const [error, busy, run] = useAction();
  const path = { namespace: item.namespace, name: item.name };
  function save(event: FormEvent) {
    event.preventDefault();
    const checked = reviewBody(draft);
    setInvalid("error" in checked ? checked.error : undefined);
    if ("error" in checked) return;
    void run(async () => {
      await unwrap(
        api.PUT("/v1/marketplace/items/{namespace}/{name}/reviews/mine", { params: { path }, body: checked.body }),
      );
      onSaved();
    });
  }
  return (
    <form className="property-form" onSubmit={save} aria-label="Your review">
      <label>
        Rating{" "}
        <select value={draft.rating} onChange={(event) => setDraft({ ...draft, rating: event.target.value })}>
          <option value="" />
          {[5, 4, 3, 2, 1].map((stars) => (
            <option key={stars} value={String(stars)}>
              {stars}
            </option>
          ))}
        </select>
      </label>
      <label>
        Title <input value={draft.title} onChange={(event) => setDraft({ ...draft, title: event.target.value })} />
      </label>
      <label>
        Review{" "}
        <textarea value={draft.body} onChange={(event) => setDraft({ ...draft, body: event.target.value })} />
      </label>
      {invalid && (
        <p className="field-problem" role="alert">
          {invalid}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {initial.rating ? "Save your review" : "Post your review"}
      </button>
      <ProblemView error={error} />
    </form>
  );
}

function ReportButton({ item, reviewId }: { item: ItemView; reviewId: string }) {
  const [reported, setReported] = useState(false);
  const [error, busy, run] = useAction();
  function report() {
    const reason = window.prompt("Why is this review abusive?");
    if (!reason?.trim()) return;
    void run(async () => {
      await unwrap(
        api.POST("/v1/marketplace/items/{namespace}/{name}/reviews/{review_id}/reports", {
          params: { path: { namespace: item.namespace, name: item.name, review_id: reviewId } },
          body: { reason: reason.trim() },
        }),
      );
      setReported(true);
    });
  }
  if (reported) return <span className="muted">Reported</span>;
  return (
    <>
      <button type="button" onClick={report} disabled={busy}>
        Report abuse
      </button>
      <ProblemView error={error} />
    </>
  );
}

/** The item's reviews with its average and count; the caller's own review to write or edit once the tenant installed
 * the item; a report of abuse on another member's review. */
export function ReviewsSection({ item }: { item: ItemView }) {
  const path = { namespace: item.namespace, name: item.name };
  const reviews = useLoad(
    () => unwrap(api.GET("/v1/marketplace/items/{namespace}/{name}/reviews", { params: { path } })),
    [item.namespace, item.name],
  );
  const installs = useLoad(allInstalls, []);
  const page = reviews.data;
  return (
    <>
      {page && <p>{ratingSummary(page)}</p>}
      <ListState loaded={reviews} items={page?.items} empty="No reviews yet.">
        {(items) => (
          <ul className="reviews">
            {items.map((review) => (
              <li key={review.review_id} data-testid="marketplace-review">
                <strong>{review.rating} of 5</strong> {review.title && <strong>{review.title}</strong>}{" "}
                <span className="muted">
                  version {review.version}, {formatTime(review.updated_at)}
                </span>
                {review.body && <p>{review.body}</p>}
                {review.reply && <p className="muted">Publisher: {review.reply}</p>}
                {review.mine ? <span className="badge">yours</span> : <ReportButton item={item} reviewId={review.review_id} />}
              </li>
            ))}
          </ul>
        )}
      </ListState>
      {page && installs.data && hasInstalled(installs.data, item) && (
        <ReviewForm
          key={page.items.find((review) => review.mine)?.updated_at ?? "new"}
          item={item}
          initial={reviewDraft(page)}
          onSaved={reviews.reload}
        />
      )}
      {installs.data && !hasInstalled(installs.data, item) && (
        <p className="muted">Install the item to review it.</p>
      )}
    </>
  );
}

/** The item's measured performance over the tenants that share theirs, or why it is hidden. */
export function PerformanceSection({ item }: { item: ItemView }) {
  const shown = performanceRows(item);
  if ("hidden" in shown) return <p className="muted">{shown.hidden}</p>;
  return (
    <dl className="item-facts">
      {shown.rows.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
