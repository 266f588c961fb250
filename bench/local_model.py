"""The local model behind Bedrock Converse in `forge dev` (devserver/local_model.py): load time, time to first
token, prompt and generation speed, with the platform's llama.cpp threads (FORGE_LOCAL_MODEL_THREADS, default 1).

Printed, never asserted: on this 2-core machine shared with other work the numbers swing by 10x from one minute to
the next. Two threads suffer most, as they spin waiting for each other when a core is taken: under load they
generated 2 tokens/s where one thread generated 31, which is why the platform runs one
(`FORGE_LOCAL_MODEL_THREADS=2 make bench BENCH=local_model` compares). Prompt and generation speeds are llama.cpp's
own timings of the best of REPEATS answers; the first token is the wall time from a request to its first streamed
text.
"""

from __future__ import annotations

import os
import time
from typing import Any

from devserver.local_model import DEFAULT_THREADS, LOCAL_MODELS, THREADS_VARIABLE, LocalModel

MODEL_ID = "local.smollm2-135m-instruct"
REPEATS = 3
MAX_TOKENS = 64
REQUEST: dict[str, Any] = {
    "messages": [
        {"role": "system", "content": "You are a helpful assistant. Answer in a short paragraph."},
        {"role": "user", "content": "Explain what a workflow automation platform does, with two examples."},
    ],
    "max_tokens": MAX_TOKENS,
    "temperature": 0,
}


def _first_token_seconds(model: LocalModel) -> float:
    started = time.monotonic()
    first: list[float] = []

    def on_chunk(chunk: dict[str, Any]) -> None:
        choices = chunk.get("choices") or [{}]
        if not first and choices[0].get("delta", {}).get("content"):
            first.append(time.monotonic() - started)

    # Another prompt each time: llama.cpp reuses a cached prompt prefix, which would flatter the first token.
    request = {**REQUEST, "messages": [*REQUEST["messages"], {"role": "user", "content": f"Run {started}."}]}
    model.stream(request, on_chunk)
    return first[0] if first else float("nan")


def main() -> None:
    spec = LOCAL_MODELS[MODEL_ID].spec
    size_mib = spec.path().stat().st_size / 2**20
    model = LocalModel(spec)
    model.chat({**REQUEST, "max_tokens": 1})
    timings = [model.chat(REQUEST)["timings"] for _ in range(REPEATS)]
    first_token = min(_first_token_seconds(model) for _ in range(REPEATS))
    threads = os.environ.get(THREADS_VARIABLE, DEFAULT_THREADS)
    print(f"{MODEL_ID}: {spec.file_name} ({size_mib:.0f} MiB), {threads} thread(s), answers of {MAX_TOKENS} tokens")
    print(f"  load            {model.load_seconds or 0.0:6.2f} s")
    print(f"  first token     {first_token:6.2f} s")
    print(f"  prompt          {max(timing['prompt_per_second'] for timing in timings):6.0f} tokens/s")
    print(f"  generation      {max(timing['predicted_per_second'] for timing in timings):6.0f} tokens/s")
