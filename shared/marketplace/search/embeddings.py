"""Embeddings of listings and queries through Bedrock `InvokeModel` with Cohere Embed's bodies.

In the cloud the model is Bedrock's (`FORGE_MARKETPLACE_EMBEDDING_MODEL`, Cohere Embed English v3 by default); under
`forge dev` the same call is answered by all-MiniLM-L6-v2 on the CPU. A call carries at most 96 texts of at most
2,048 characters (Bedrock's limits for Cohere Embed), so longer lists are sent in batches and longer texts cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from shared.aws.bedrock_runtime import invoke_model_json
from shared.settings import get_settings

_BATCH = 96
_MAX_CHARACTERS = 2_048

InputType = Literal["search_document", "search_query"]
# The length of each embedding model's vectors: the cloud index's vector field is made for the configured model's.
DIMENSIONS = {"cohere.embed-english-v3": 1024, "cohere.embed-multilingual-v3": 1024, "local.all-minilm-l6-v2": 384}


def embedding_dimensions(model_id: str) -> int:
    if model_id not in DIMENSIONS:
        raise RuntimeError(f"the length of {model_id}'s embeddings is not known: add it to DIMENSIONS")
    return DIMENSIONS[model_id]


def embed(texts: Sequence[str], input_type: InputType) -> list[list[float]]:
    model_id = get_settings().marketplace_embedding_model
    vectors: list[list[float]] = []
    for start in range(0, len(texts), _BATCH):
        batch = [text[:_MAX_CHARACTERS] or " " for text in texts[start : start + _BATCH]]
        answer = invoke_model_json(None, model_id, {"texts": batch, "input_type": input_type, "truncate": "END"})
        vectors.extend(answer["embeddings"])
    return vectors
