"""Serves a tuned agent model behind the platform's SageMaker endpoint contract (shared/agents/providers/sagemaker.py).

`model_fn` loads the base model from the model dir (`base/`, a GGUF file or a Hugging Face folder), applies the LoRA
adapter (`adapter/`) and merges it; `predict_fn` answers one model turn. JSON both ways:

    request  {"system", "messages": [Converse message], "tools", "max_tokens", "temperature", "output_schema"}
    answer   {"message": {"role": "assistant", "content": [{"text"}]}, "stop_reason": "end_turn" | "max_tokens",
              "usage": {"input_tokens", "output_tokens"}}

Messages' text blocks are the chat; a tool call or result is given to the model as text. A model this small does not
call tools, so the answer is always text. An `output_schema` is honoured as far as a prompt can: the schema is put in
the system prompt, the answer is started with `{` and cut after the first balanced JSON object; whether it validates
is the agent node's check, as with any provider. A conversation longer than the model's context is a 413 with
`context_length_exceeded`, as the contract says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

JSON = "application/json"
MAX_NEW_TOKENS = 512


class EndpointError(Exception):
    """An answer other than 200: its HTTP status and the contract's error body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def model_fn(model_dir: str) -> dict[str, Any]:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()
    root = Path(model_dir)
    ggufs = sorted((root / "base").glob("*.gguf"))
    if ggufs:
        base = AutoModelForCausalLM.from_pretrained(str(root / "base"), gguf_file=ggufs[0].name)
    else:
        base = AutoModelForCausalLM.from_pretrained(str(root / "base"))
    model = PeftModel.from_pretrained(base, str(root / "adapter")).merge_and_unload()
    model.eval()
    tokenizer = AutoTokenizer.from_pretrained(str(root / "tokenizer"))
    return {"model": model, "tokenizer": tokenizer}


def input_fn(request_body: str | bytes, content_type: str = JSON) -> dict[str, Any]:
    if content_type != JSON:
        raise EndpointError(415, {"error": {"message": f"content type {content_type} is not {JSON}"}})
    request = json.loads(request_body)
    if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
        raise EndpointError(400, {"error": {"message": "the request needs a messages list"}})
    return request


def chat_messages(request: dict[str, Any]) -> list[dict[str, str]]:
    """The request as chat messages of text: tool calls and results written out, the schema put in the system."""
    system = request.get("system") or ""
    schema = request.get("output_schema")
    if schema is not None:
        system = f"{system}\nAnswer with one JSON object only, valid against this JSON schema: {json.dumps(schema)}"
    chat = [{"role": "system", "content": system.strip()}] if system.strip() else []
    for message in request["messages"]:
        texts = []
        for block in message.get("content", []):
            if "text" in block:
                texts.append(str(block["text"]))
            elif "toolUse" in block:
                texts.append(
                    f"(called tool {block['toolUse'].get('name')} with {json.dumps(block['toolUse'].get('input'))})"
                )
            elif "toolResult" in block:
                texts.append(f"(tool result: {json.dumps(block['toolResult'].get('content'))})")
        chat.append(
            {"role": "assistant" if message.get("role") == "assistant" else "user", "content": "\n".join(texts)}
        )
    return chat


def first_json_object(text: str) -> tuple[str, bool]:
    """`text` cut after its first balanced JSON object (strings and escapes respected) and True, or as it is and
    False when no object closes in it."""
    depth, in_string, escaped = 0, False, False
    for index, character in enumerate(text):
        if escaped:
            escaped = False
        elif in_string:
            escaped = character == "\\"
            in_string = character != '"'
        elif character == '"':
            in_string = True
        elif character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
            if depth == 0:
                return text[: index + 1], True
    return text, False


def predict_fn(request: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    import torch

    network, tokenizer = model["model"], model["tokenizer"]
    prompt = tokenizer.apply_chat_template(chat_messages(request), tokenize=False, add_generation_prompt=True)
    primed = "{" if request.get("output_schema") is not None else ""
    input_ids = tokenizer(prompt + primed, add_special_tokens=False, return_tensors="pt")["input_ids"]
    max_new_tokens = max(1, min(int(request.get("max_tokens") or MAX_NEW_TOKENS), MAX_NEW_TOKENS))
    context = int(getattr(network.config, "max_position_embeddings", 2048))
    if input_ids.shape[1] + max_new_tokens > context:
        raise EndpointError(
            413,
            {
                "error": {
                    "code": "context_length_exceeded",
                    "message": f"{input_ids.shape[1]} prompt tokens and {max_new_tokens} to generate exceed {context}",
                }
            },
        )
    temperature = request.get("temperature")
    sampling = {"do_sample": True, "temperature": float(temperature)} if temperature else {"do_sample": False}
    with torch.no_grad():
        generated = network.generate(
            input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=max_new_tokens,
            pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
            **sampling,
        )
    new_ids = generated[0, input_ids.shape[1] :].tolist()
    ended = tokenizer.eos_token_id in new_ids
    text = primed + tokenizer.decode(new_ids, skip_special_tokens=True)
    if primed:
        text, closed = first_json_object(text)
        ended = ended or closed
    return {
        "message": {"role": "assistant", "content": [{"text": text.strip()}]},
        "stop_reason": "end_turn" if ended or len(new_ids) < max_new_tokens else "max_tokens",
        "usage": {"input_tokens": int(input_ids.shape[1]), "output_tokens": len(new_ids)},
    }


def output_fn(prediction: dict[str, Any], accept: str = JSON) -> str:
    return json.dumps(prediction)
