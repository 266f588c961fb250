"""Answers Bedrock Runtime `InvokeModel` for the local embedding model in-process, as Bedrock would over the wire.

The request and response bodies are those of Bedrock's Cohere Embed models (the platform's cloud default,
shared/marketplace/search/embeddings.py): `{"texts": [...], "input_type": ...}` in, `{"embeddings": [[...]],
"response_type": "embeddings_floats", ...}` out, at most 96 texts of at most 2,048 characters per call. The vectors
come from all-MiniLM-L6-v2 (devserver/local_embeddings.py), imported and loaded on the first call: numpy, tokenizers
and safetensors are about 17 MB of every forge dev process that never embeds a text.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.parsers import create_parser
from botocore.response import StreamingBody

MODEL_ID = "local.all-minilm-l6-v2"
_HOOK_ID = "nexus-forge-local-bedrock-embeddings"
_MODEL_PATH = re.compile(r"^/model/(?P<model_id>[^/]+)/invoke$")
# Bedrock's limits for Cohere Embed, which callers of the local model must respect too.
MAX_TEXTS = 96
MAX_CHARACTERS = 2_048


class _Refused(Exception):
    pass


def embeddings_response(request: dict[str, Any]) -> dict[str, Any]:
    texts = request.get("texts")
    if not isinstance(texts, list) or not texts or not all(isinstance(text, str) for text in texts):
        raise _Refused("texts: a non-empty list of strings is required")
    if len(texts) > MAX_TEXTS:
        raise _Refused(f"texts: at most {MAX_TEXTS} texts per call, got {len(texts)}")
    if any(len(text) > MAX_CHARACTERS for text in texts):
        raise _Refused(f"texts: each text is at most {MAX_CHARACTERS} characters")
    from devserver.local_embeddings import shared_embedder

    return {
        "id": str(uuid.uuid4()),
        "texts": texts,
        "embeddings": shared_embedder().embed(texts),
        "response_type": "embeddings_floats",
    }


class LocalBedrockEmbeddings:
    """A botocore `before-call` hook for `InvokeModel` of `local.all-minilm-l6-v2`; other model ids pass."""

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        matched = _MODEL_PATH.match(params["url_path"].split("?", 1)[0])
        if not matched or unquote(matched["model_id"]) != MODEL_ID:
            return None
        headers = {"x-amzn-requestid": str(uuid.uuid4()), "content-type": "application/json"}
        try:
            status, body = 200, json.dumps(embeddings_response(json.loads(params.get("body") or b"{}"))).encode()
        except (_Refused, ValueError) as refused:
            status, body = 400, json.dumps({"message": str(refused)}).encode()
            headers["x-amzn-errortype"] = "ValidationException"
        response = {
            "status_code": status,
            "headers": HTTPHeaders.from_dict(headers),
            "body": StreamingBody(io.BytesIO(body), len(body)) if status == 200 else body,
            "context": {"operation_name": model.name},
        }
        parsed = create_parser("rest-json").parse(response, model.output_shape)
        return AWSResponse(params.get("url", ""), status, HTTPHeaders.from_dict(headers), None), parsed

    def install(self, session: boto3.Session | None = None) -> None:
        target = session or boto3._get_default_session()
        target.events.register(
            "before-call.bedrock-runtime.InvokeModel",
            self.before_call,  # type: ignore[arg-type]
            unique_id=_HOOK_ID,
        )
