import { useState } from "react";

// Above this a payload is drawn only when asked: a step's history carries whole payloads, and a 200 KB <pre> per
// click would make the execution view crawl.
export const LARGE_PAYLOAD_CHARS = 16 * 1024;

/** A step's input or output as JSON, large ones behind a button that says their size. */
export function Payload({ label, value }: { label: string; value: unknown }) {
  const text = JSON.stringify(value, null, 2) ?? "null";
  const [open, setOpen] = useState(text.length <= LARGE_PAYLOAD_CHARS);
  return (
    <>
      <h3>{label}</h3>
      {open ? (
        <pre>{text}</pre>
      ) : (
        <button type="button" onClick={() => setOpen(true)}>
          Show {label.toLowerCase()} ({Math.ceil(text.length / 1024)} KB)
        </button>
      )}
    </>
  );
}
