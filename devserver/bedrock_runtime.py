"""Answers Bedrock Runtime `Converse` and `ConverseStream` calls for `local.*` model ids in-process, as Bedrock
would over the wire.

The hook turns the serialised request back into Converse's JSON, asks the local model (devserver/local_model.py)
through llama.cpp's Chat Completions interface, writes Bedrock's JSON response, event stream or error, and lets
botocore's own parser read it: callers get exactly what boto3 returns for Bedrock, modelled exceptions included.

Structured output: `additionalModelRequestFields.response_format = {"type": "json_schema", "json_schema":
{"name": …, "schema": …}}` constrains decoding to the schema. Tools are described in the system prompt and a
reply that is one JSON tool call becomes a `toolUse` block; with `toolChoice` `any` or `tool` the reply is
constrained to a call. The 135M-parameter model picks tools and arguments poorly (docs/agents-local.md).
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import re
import secrets
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.parsers import create_parser

from devserver.local_model import LOCAL_MODELS, LocalModel, LocalModelUnavailable

LOCAL_MODEL_PREFIX = "local."
DEFAULT_MAX_TOKENS = 512
_HOOK_ID = "nexus-forge-local-bedrock-converse"
_MODEL_PATH = re.compile(r"^/model/(?P<model_id>[^/]+)/converse(-stream)?$")
_FINISH_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
_ALTERNATIVES = (
    "For another model, point the agent's `model` at an OpenAI-compatible server on this machine (provider "
    "`openai_compatible`, e.g. Ollama at http://127.0.0.1:11434/v1) or at a cloud provider with a `credential` "
    "(docs/agents-local.md)."
)


class ConverseRefused(Exception):
    """An error Bedrock answers with: its exception name, HTTP status and message."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def _validation(message: str) -> ConverseRefused:
    return ConverseRefused("ValidationException", 400, message)


def local_model(model_id: str) -> LocalModel:
    """The local model behind `model_id`; the error Bedrock gives for an id it does not serve, otherwise."""
    found = LOCAL_MODELS.get(model_id)
    if found is not None:
        return found
    served = ", ".join(sorted(LOCAL_MODELS))
    if model_id.startswith(LOCAL_MODEL_PREFIX):
        raise _validation(
            f"The provided model identifier is invalid: {model_id}. The local platform serves {served}. "
            + _ALTERNATIVES
        )
    raise ConverseRefused(
        "AccessDeniedException",
        403,
        f"You don't have access to the model with the specified model ID: the local platform has no AWS account "
        f"and serves only {served} through Bedrock. " + _ALTERNATIVES,
    )


@dataclass(frozen=True)
class _Turn:
    """A Converse request checked and turned into the local model's Chat Completions request."""

    model_id: str
    model: LocalModel
    chat: dict[str, Any]
    schema: dict[str, Any] | None
    tools: dict[str, dict[str, Any]]
    started: float

    @classmethod
    def of(cls, model_id: str, request: dict[str, Any]) -> _Turn:
        model = local_model(model_id)
        tools = _tools(request.get("toolConfig"))
        return cls(
            model_id=model_id,
            model=model,
            chat={"messages": _chat_messages(request, tools), **_inference(request.get("inferenceConfig") or {})},
            schema=_output_schema(request.get("additionalModelRequestFields"), request.get("toolConfig"), tools),
            tools=tools,
            started=time.monotonic(),
        )

    def answer(self) -> dict[str, Any]:
        try:
            answer = self.model.chat(self.chat, self.schema)
        except LocalModelUnavailable as error:
            raise self._not_ready(error) from error
        if "error" in answer:
            raise _refusal(answer["error"])
        choice = answer["choices"][0]
        return self.reply(choice["message"].get("content") or "", choice.get("finish_reason"), answer.get("usage", {}))

    def chunks(self) -> Iterator[dict[str, Any]]:
        """The answer's Chat Completions chunks as they are generated; a refusal before the first one."""
        generated: queue.Queue[dict[str, Any] | None] = queue.Queue()

        def generate() -> None:
            try:
                self.model.stream(self.chat, generated.put, self.schema)
            except LocalModelUnavailable as error:
                generated.put({"error": {"message": str(error), "type": "unavailable"}})
            finally:
                generated.put(None)

        threading.Thread(target=generate, name="local-model-stream", daemon=True).start()
        first = generated.get()
        if first is None:
            return iter(())
        if "error" in first:
            error = first["error"]
            raise self._not_ready(error["message"]) if error.get("type") == "unavailable" else _refusal(error)
        return itertools.chain([first], iter(generated.get, None))

    def reply(self, text: str, finish_reason: str | None, usage: dict[str, Any]) -> dict[str, Any]:
        """Converse's response body for the model's whole reply."""
        tool_use = _tool_use(text, self.tools) if self.tools else None
        stop_reason = "tool_use" if tool_use else _FINISH_REASONS.get(finish_reason or "stop", "end_turn")
        content = [{"toolUse": tool_use} if tool_use else {"text": text}]
        return {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": stop_reason,
            "usage": {
                "inputTokens": usage.get("prompt_tokens", 0),
                "outputTokens": usage.get("completion_tokens", 0),
                "totalTokens": usage.get("total_tokens", 0),
            },
            "metrics": {"latencyMs": round((time.monotonic() - self.started) * 1000)},
        }

    def _not_ready(self, error: object) -> ConverseRefused:
        return ConverseRefused("ModelNotReadyException", 429, f"{self.model_id} cannot run: {error}")


def converse(model_id: str, request: dict[str, Any]) -> dict[str, Any]:
    """Converse's response body for `request` (Converse's request body), from the local model."""
    return _Turn.of(model_id, request).answer()


def converse_stream(model_id: str, request: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """ConverseStream's events (type, payload) for `request`; a refusal is raised before the first. Text streams
    as it is generated; with tools, the reply is read whole first, as it may be a tool call."""
    turn = _Turn.of(model_id, request)
    chunks = turn.chunks()
    return _stream_events(turn, chunks)


def _stream_events(turn: _Turn, chunks: Iterator[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "messageStart", {"role": "assistant"}
    text: list[str] = []
    finish_reason: str | None = None
    usage: dict[str, Any] = {}
    for chunk in chunks:
        usage = chunk.get("usage") or usage
        for choice in chunk.get("choices", []):
            finish_reason = choice.get("finish_reason") or finish_reason
            delta = choice.get("delta", {}).get("content")
            if delta:
                text.append(delta)
                if not turn.tools:
                    yield "contentBlockDelta", {"delta": {"text": delta}, "contentBlockIndex": 0}
    reply = turn.reply("".join(text), finish_reason, usage)
    block = reply["output"]["message"]["content"][0]
    if "toolUse" in block:
        use = block["toolUse"]
        start = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
        yield "contentBlockStart", {"start": start, "contentBlockIndex": 0}
        yield "contentBlockDelta", {"delta": {"toolUse": {"input": json.dumps(use["input"])}}, "contentBlockIndex": 0}
    elif turn.tools and block["text"]:
        yield "contentBlockDelta", {"delta": {"text": block["text"]}, "contentBlockIndex": 0}
    yield "contentBlockStop", {"contentBlockIndex": 0}
    yield "messageStop", {"stopReason": reply["stopReason"]}
    yield "metadata", {"usage": reply["usage"], "metrics": reply["metrics"]}


def _refusal(error: dict[str, Any]) -> ConverseRefused:
    if error.get("type") == "exceed_context_size_error":
        return _validation(f"Input is too long for requested model: {error.get('message', '')}")
    return ConverseRefused("ModelErrorException", 424, f"The local model failed: {error.get('message', error)}")


def _inference(config: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"max_tokens": config.get("maxTokens", DEFAULT_MAX_TOKENS)}
    if "temperature" in config:
        options["temperature"] = config["temperature"]
    if "topP" in config:
        options["top_p"] = config["topP"]
    if config.get("stopSequences"):
        options["stop"] = config["stopSequences"]
    return options


def _tools(tool_config: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Tool name → its toolSpec."""
    if not tool_config:
        return {}
    return {tool["toolSpec"]["name"]: tool["toolSpec"] for tool in tool_config.get("tools", []) if "toolSpec" in tool}


def _chat_messages(request: dict[str, Any], tools: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    system = [block["text"] for block in request.get("system", []) if "text" in block]
    if tools:
        system.append(_tool_instructions(tools))
    messages = [{"role": "system", "content": "\n\n".join(system)}] if system else []
    tool_names: dict[str, str] = {}
    for index, message in enumerate(request.get("messages", [])):
        parts = [
            _block_text(block, f"messages.{index}.content.{position}", tool_names)
            for position, block in enumerate(message.get("content", []))
        ]
        messages.append({"role": message["role"], "content": "\n".join(part for part in parts if part)})
    return messages


def _block_text(block: dict[str, Any], where: str, tool_names: dict[str, str]) -> str:
    """A content block as the text the model reads; tool calls in the JSON form it is asked to answer with."""
    if "text" in block:
        return str(block["text"])
    if "toolUse" in block:
        use = block["toolUse"]
        tool_names[use["toolUseId"]] = use["name"]
        return json.dumps({"tool": use["name"], "input": use.get("input", {})})
    if "toolResult" in block:
        result = block["toolResult"]
        content = "\n".join(
            item["text"] if "text" in item else json.dumps(item.get("json")) for item in result.get("content", [])
        )
        name = tool_names.get(result["toolUseId"], result["toolUseId"])
        return f"Result of the tool {name} ({result.get('status', 'success')}):\n{content}"
    if "cachePoint" in block:
        return ""
    kind = next(iter(block), "empty")
    raise _validation(f"{where}: the local model reads text, tool uses and tool results only, not a {kind} block")


def _tool_instructions(tools: dict[str, dict[str, Any]]) -> str:
    described = "\n".join(
        f"- {name}: {spec.get('description', '')} Input JSON Schema: {json.dumps(spec['inputSchema']['json'])}"
        for name, spec in tools.items()
    )
    return (
        f"You can call these tools:\n{described}\n"
        'To call a tool, answer with only this JSON: {"tool": "<tool name>", "input": {<its input>}}. '
        "Otherwise answer in plain text."
    )


def _tool_call_schema(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    tool_input = spec["inputSchema"]["json"]
    _check_schema(tool_input, f"toolConfig.tools.{name}.inputSchema.json")
    # Keys the input schema does not name are allowed by JSON Schema, and the small model fills them with noise.
    if tool_input.get("type") == "object" and "additionalProperties" not in tool_input:
        tool_input = {**tool_input, "additionalProperties": False}
    return {
        "type": "object",
        "properties": {"tool": {"const": name}, "input": tool_input},
        "required": ["tool", "input"],
        "additionalProperties": False,
    }


def _output_schema(
    fields: Any, tool_config: dict[str, Any] | None, tools: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    """The JSON Schema the reply is constrained to: the requested one, or a call of the tool(s) it must call."""
    choice = (tool_config or {}).get("toolChoice", {})
    if "tool" in choice:
        name = choice["tool"]["name"]
        if name not in tools:
            raise _validation(f"toolConfig.toolChoice.tool.name: {name} is not one of the tools in toolConfig.tools")
        return _tool_call_schema(name, tools[name])
    if "any" in choice and tools:
        return {"anyOf": [_tool_call_schema(name, spec) for name, spec in tools.items()]}
    return _requested_schema(fields)


def _requested_schema(fields: Any) -> dict[str, Any] | None:
    if fields is None:
        return None
    if not isinstance(fields, dict):
        raise _validation("additionalModelRequestFields: must be a JSON object")
    extraneous = sorted(set(fields) - {"response_format"})
    if extraneous:
        raise _validation(
            f"Malformed input request: additionalModelRequestFields: extraneous key [{extraneous[0]}] is not "
            "permitted by the local model, which reads only response_format"
        )
    response_format = fields.get("response_format")
    if response_format is None:
        return None
    where = "additionalModelRequestFields.response_format"
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        raise _validation(f'{where}.type: must be "json_schema"')
    definition = response_format.get("json_schema")
    if not isinstance(definition, dict) or not isinstance(definition.get("schema"), dict):
        raise _validation(f"{where}.json_schema.schema: must be a JSON Schema object")
    schema: dict[str, Any] = definition["schema"]
    _check_schema(schema, f"{where}.json_schema.schema")
    return schema


def _check_schema(schema: dict[str, Any], where: str) -> None:
    """llama.cpp decodes unconstrained, with only a log line, when a schema does not compile: refused here."""
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]
    from jsonschema.validators import validator_for  # type: ignore[import-untyped]

    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as error:
        raise _validation(f"{where}: not a JSON Schema: {error.message} (at {error.json_path})") from error


def _tool_use(text: str, tools: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The tool call in the reply, when the whole reply (a code fence aside) is one call of a listed tool."""
    candidate = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    try:
        call = json.loads(candidate)
    except ValueError:
        return None
    if not isinstance(call, dict) or call.get("tool") not in tools or not isinstance(call.get("input"), dict):
        return None
    return {"toolUseId": f"tooluse_{secrets.token_urlsafe(16)}", "name": call["tool"], "input": call["input"]}


class LocalBedrockRuntime:
    """A botocore `before-call` hook for Bedrock Runtime's `Converse` and `ConverseStream`: answers the call instead
    of sending it.

    It answers every call for a `local.*` model, and calls for other models sent to the emulation (or to AWS, which
    the emulation stands in for); one sent to another endpoint (a test's scripted Bedrock on loopback) goes there.
    """

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        matched = _MODEL_PATH.match(params["url_path"].split("?", 1)[0])
        model_id = unquote(matched["model_id"]) if matched else ""
        url = params.get("url", "")
        if not model_id.startswith(LOCAL_MODEL_PREFIX) and not _sent_to_emulation(url):
            return None
        headers = {"x-amzn-requestid": str(uuid.uuid4())}
        body: Any
        try:
            request = json.loads(params.get("body") or b"{}")
            if model.name == "ConverseStream":
                status, body = 200, _EventStreamBody(converse_stream(model_id, request))
                headers["content-type"] = "application/vnd.amazon.eventstream"
            else:
                status, body = 200, json.dumps(converse(model_id, request)).encode()
                headers["content-type"] = "application/json"
        except ConverseRefused as refused:
            status, body = refused.status, json.dumps({"message": str(refused)}).encode()
            headers.update({"content-type": "application/json", "x-amzn-errortype": refused.code})
        response = {
            "status_code": status,
            "headers": HTTPHeaders.from_dict(headers),
            "body": body,
            "context": {"operation_name": model.name},
        }
        parsed = create_parser("rest-json").parse(response, model.output_shape)
        return AWSResponse(url, status, HTTPHeaders.from_dict(headers), None), parsed

    def install(self, session: boto3.Session | None = None) -> None:
        target = session or boto3._get_default_session()
        for operation in ("Converse", "ConverseStream"):
            target.events.register(
                f"before-call.bedrock-runtime.{operation}",
                self.before_call,  # type: ignore[arg-type]
                unique_id=f"{_HOOK_ID}-{operation}",
            )


class _EventStreamBody:
    """The raw body botocore's EventStream reads: AWS event stream messages, encoded as they are generated."""

    def __init__(self, events: Iterator[tuple[str, dict[str, Any]]]) -> None:
        self._events = events

    def stream(self, **_: Any) -> Iterator[bytes]:
        for event_type, payload in self._events:
            yield _event_message(event_type, payload)

    def close(self) -> None:
        """Nothing to release: generation ends at maxTokens even when nobody reads."""


def _event_message(event_type: str, payload: dict[str, Any]) -> bytes:
    """One message of the AWS event stream encoding: prelude with CRC, string headers, JSON payload, CRC."""
    headers = b"".join(
        struct.pack(">B", len(name)) + name + b"\x07" + struct.pack(">H", len(value)) + value
        for name, value in (
            (b":event-type", event_type.encode()),
            (b":content-type", b"application/json"),
            (b":message-type", b"event"),
        )
    )
    data = json.dumps(payload).encode()
    prelude = struct.pack(">II", 12 + len(headers) + len(data) + 4, len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + data
    return message + struct.pack(">I", zlib.crc32(message))


def _sent_to_emulation(url: str) -> bool:
    emulation = os.environ.get("AWS_ENDPOINT_URL")
    if emulation:
        return url.startswith(emulation.rstrip("/"))
    return urlsplit(url).hostname is not None and str(urlsplit(url).hostname).endswith(".amazonaws.com")
