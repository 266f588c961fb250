"""The local embedding model gives the vectors sentence-transformers gives for all-MiniLM-L6-v2.

The reference numbers were computed with sentence-transformers 6.3.0 and PyTorch 2.13.0 (CPU) from the same wheel's
files (`SentenceTransformer(MODEL_DIR).encode(texts, normalize_embeddings=True)`).
"""

from __future__ import annotations

import json

import boto3
import numpy as np
import pytest

from devserver.bedrock_embeddings import MODEL_ID, LocalBedrockEmbeddings
from devserver.local_embeddings import DIMENSIONS, shared_embedder

TEXTS = [
    "Weather forecasts for any city, hourly and daily",
    "Convert euros to dollars at today's rate",
    "x",
    "Send an SMS when a payment fails, then open a ticket in the helpdesk and notify the on-call engineer by email",
]
FIRST_EIGHT = [
    [-0.0055714, 0.0130262, 0.0876539, 0.1213169, -0.0170458, -0.0762727, -0.0641961, -0.0452238],
    [0.0105237, 0.0871489, -0.1002498, 0.0178184, -0.0042267, -0.0956161, -0.0229171, -0.0087753],
    [-0.0979097, -0.0640008, -0.0231812, -0.0461967, 0.0216999, -0.0284923, 0.1548538, 0.0544037],
    [-0.0502386, 0.0515238, 0.0304079, 0.0093544, 0.0082149, -0.0036496, 0.0592106, 0.0863317],
]
SUMS = [0.0859724, -0.3259115, 0.714325, 0.1658856]


def test_vectors_match_sentence_transformers() -> None:
    vectors = np.array(shared_embedder().embed(TEXTS))
    assert vectors.shape == (len(TEXTS), DIMENSIONS)
    assert np.allclose(vectors[:, :8], FIRST_EIGHT, atol=1e-5)
    assert np.allclose(vectors.sum(axis=1), SUMS, atol=1e-4)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_text_embeds_the_same_alone_or_padded_in_a_batch() -> None:
    alone = shared_embedder().embed([TEXTS[2]])[0]
    assert np.allclose(alone, shared_embedder().embed(TEXTS)[2], atol=1e-5)


@pytest.fixture
def bedrock() -> object:
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1")
    LocalBedrockEmbeddings().install(session)
    return session.client("bedrock-runtime", endpoint_url="http://127.0.0.1:9")


def test_invoke_model_answers_as_bedrocks_cohere_embed_does(bedrock) -> None:
    response = bedrock.invoke_model(
        modelId=MODEL_ID, body=json.dumps({"texts": TEXTS[:2], "input_type": "search_query"})
    )
    answer = json.loads(response["body"].read())
    assert answer["response_type"] == "embeddings_floats" and answer["texts"] == TEXTS[:2]
    assert np.allclose(np.array(answer["embeddings"])[:, :8], FIRST_EIGHT[:2], atol=1e-5)


def test_invoke_model_refuses_too_many_texts_as_bedrock_does(bedrock) -> None:
    with pytest.raises(bedrock.exceptions.ValidationException, match="at most 96"):
        bedrock.invoke_model(modelId=MODEL_ID, body=json.dumps({"texts": ["a"] * 97}))
