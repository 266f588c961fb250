import { highlightSegments } from "./search";

/** A search highlight rendered as React text: only its <mark> elements become markup (see highlightSegments). */
export function Highlight({ html, fallback }: { html: string | undefined; fallback: string }) {
  if (html === undefined) return <>{fallback}</>;
  return (
    <>
      {highlightSegments(html).map((segment, index) =>
        segment.marked ? <mark key={index}>{segment.text}</mark> : <span key={index}>{segment.text}</span>,
      )}
    </>
  );
}
