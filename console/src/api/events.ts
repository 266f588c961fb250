import { loadSession } from "./session";

export interface StreamEvent {
  event: string;
  data: unknown;
}

/** Reads the execution's Server-Sent Events with fetch (EventSource cannot send the bearer token). */
export async function followExecution(
  executionId: string,
  onEvent: (event: StreamEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const session = loadSession();
  const response = await fetch(`/v1/executions/${encodeURIComponent(executionId)}/events`, {
    headers: session ? { authorization: `Bearer ${session.token}` } : {},
    signal,
  });
  if (!response.ok || !response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    const blocks = buffered.split("\n\n");
    buffered = blocks.pop() ?? "";
    for (const block of blocks) {
      const parsed = parseEventBlock(block);
      if (parsed) onEvent(parsed);
    }
  }
}

export function parseEventBlock(block: string): StreamEvent | null {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) event = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  return data.length ? { event, data: JSON.parse(data.join("\n")) } : null;
}
