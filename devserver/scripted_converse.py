"""A scripted model on 127.0.0.1 speaking Amazon Bedrock Converse's REST protocol (POST /model/{modelId}/converse),
for the tests and benchmarks that need a model choosing tools deterministically.

It is given a function from the request body to the response (a Converse answer, or a `ConverseError`); the
bedrock-runtime client reaches it through `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` while `scripted_model` is open. Every
request is kept, headers included, so a test can say what a model was sent.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"


@dataclass(frozen=True)
class ConverseError:
    status: int
    code: str
    message: str


Script = Callable[[dict[str, Any]], "dict[str, Any] | ConverseError"]


@dataclass(frozen=True)
class SeenRequest:
    model_id: str
    headers: dict[str, str]
    raw: bytes
    body: dict[str, Any]


@dataclass
class ScriptedModel:
    url: str
    script: Script
    requests: list[SeenRequest] = field(default_factory=list)


def answer(text: str, input_tokens: int = 10, output_tokens: int = 5) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens,
        },
        "metrics": {"latencyMs": 1},
    }


def tool_calls(*calls: tuple[str, str, dict[str, Any]], text: str | None = None) -> dict[str, Any]:
    """An assistant turn asking for tools: (toolUseId, name, input) each."""
    content: list[dict[str, Any]] = [{"text": text}] if text else []
    content += [
        {"toolUse": {"toolUseId": use_id, "name": name, "input": arguments}} for use_id, name, arguments in calls
    ]
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use",
        "usage": {"inputTokens": 20, "outputTokens": 8, "totalTokens": 28},
        "metrics": {"latencyMs": 1},
    }


def tool_results(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The tool results of the request's last user message, by toolUseId."""
    last = body["messages"][-1]
    return {block["toolResult"]["toolUseId"]: block["toolResult"] for block in last["content"] if "toolResult" in block}


def assistant_turns(body: dict[str, Any]) -> int:
    return sum(1 for message in body["messages"] if message["role"] == "assistant")


def _handler(model: ScriptedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            parts = self.path.split("/")
            if len(parts) != 4 or parts[1] != "model" or parts[3] != "converse":
                self._send(404, {"message": f"no route {self.path}"}, "ResourceNotFoundException")
                return
            body = json.loads(raw)
            model.requests.append(SeenRequest(unquote(parts[2]), dict(self.headers.items()), raw, body))
            result = model.script(body)
            if isinstance(result, ConverseError):
                self._send(result.status, {"message": result.message}, result.code)
            else:
                self._send(200, result)

        def _send(self, status: int, payload: dict[str, Any], error_type: str | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def scripted_model(script: Script) -> Iterator[ScriptedModel]:
    from shared.aws.clients import bedrock_runtime_client

    holder = ScriptedModel(url="", script=script)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(holder))
    holder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    earlier = os.environ.get(ENDPOINT_VARIABLE)
    os.environ[ENDPOINT_VARIABLE] = holder.url
    bedrock_runtime_client.cache_clear()
    try:
        yield holder
    finally:
        server.shutdown()
        server.server_close()
        if earlier is None:
            os.environ.pop(ENDPOINT_VARIABLE, None)
        else:
            os.environ[ENDPOINT_VARIABLE] = earlier
        bedrock_runtime_client.cache_clear()
