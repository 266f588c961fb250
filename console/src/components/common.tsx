import { useCallback, useEffect, useState, type ReactNode } from "react";

import { ProblemError } from "../api/client";

/** A problem the API answered (title, detail, field paths) or any other failure, never a blank screen. */
export function ProblemView({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof ProblemError) {
    return (
      <div role="alert" className="problem">
        <strong>{error.problem.title}</strong>
        {error.problem.detail && <p>{error.problem.detail}</p>}
        {error.invalidParams.length > 0 && (
          <ul>
            {error.invalidParams.map((param) => (
              <li key={param.name + param.reason}>
                <code>{param.name}</code>: {param.reason}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return (
    <div role="alert" className="problem">
      <strong>Something went wrong</strong>
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </div>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, dependencies: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then((value) => current && (setData(value), setError(undefined)))
      .catch((failure: unknown) => current && setError(failure))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...dependencies, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { data, error, loading, reload };
}

/** Loading, problem and empty states around a list. */
export function ListState<T>({
  loaded,
  items,
  empty,
  children,
}: {
  loaded: Loaded<unknown>;
  items: T[] | undefined;
  empty: string;
  children: (items: T[]) => ReactNode;
}) {
  if (loaded.error) return <ProblemView error={loaded.error} />;
  if (loaded.loading && !items) return <p className="muted">Loading…</p>;
  if (!items || items.length === 0) return <p className="empty">{empty}</p>;
  return <>{children(items)}</>;
}

/** Runs an action, keeping its problem to show; returns whether it succeeded. */
export function useAction(): [unknown, boolean, (action: () => Promise<unknown>) => Promise<boolean>] {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (failure) {
      setError(failure);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return [error, busy, run];
}

export function Secret({ label, value }: { label: string; value: string }) {
  return (
    <div className="secret" role="status">
      <p>
        <strong>{label}</strong> — shown once: copy it now, the API never returns it again.
      </p>
      <code data-testid="secret">{value}</code>{" "}
      <button type="button" onClick={() => void navigator.clipboard?.writeText(value)}>
        Copy
      </button>
    </div>
  );
}

export function formatTime(value: string | null | undefined): string {
  return value ? new Date(value).toLocaleString() : "—";
}
