"""sagemaker/agent_tuning/train.py follows the training contract: only SM_* says where things are and what to do, and
a job it cannot run ends with its reason in the failure file."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.integration.sagemaker.conftest import AGENT_TUNING_JOB

EXAMPLES = [
    {"messages": [{"role": "user", "content": "Status of order 7?"}, {"role": "assistant", "content": "Shipped."}]},
    {"messages": [{"role": "user", "content": "Status of order 9?"}, {"role": "assistant", "content": "Delayed."}]},
]


def _run(
    python: Path, root: Path, hyperparameters: dict, base: Path | None, examples: list[dict]
) -> subprocess.CompletedProcess:
    channel = root / "input" / "data" / "train"
    channel.mkdir(parents=True)
    (channel / "examples.jsonl").write_text("".join(json.dumps(example) + "\n" for example in examples))
    (root / "model").mkdir()
    environment = {
        "PATH": os.environ["PATH"],
        "SM_MODEL_DIR": str(root / "model"),
        "SM_OUTPUT_DIR": str(root / "output"),
        "SM_OUTPUT_DATA_DIR": str(root / "output" / "data"),
        "SM_HPS": json.dumps(hyperparameters),
        "SM_CHANNEL_TRAIN": str(channel),
    }
    if base is not None:
        environment["SM_CHANNEL_BASE"] = str(base)
    # From an unrelated folder with nothing but the SM_* variables: no path is assumed.
    return subprocess.run(
        [str(python), str(AGENT_TUNING_JOB / "train.py")],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_hyperparameter_outside_its_range_is_a_failure_naming_it(
    agent_tuning_python: Path, smollm2_gguf: Path, tmp_path: Path
) -> None:
    completed = _run(agent_tuning_python, tmp_path, {"max_steps": "0"}, smollm2_gguf.parent, EXAMPLES)

    assert completed.returncode == 1
    assert (
        tmp_path / "output" / "failure"
    ).read_text() == "hyperparameter max_steps must be between 1 and 2000, got '0'"
    assert list((tmp_path / "model").iterdir()) == []


def test_an_unknown_hyperparameter_is_a_failure_naming_it(
    agent_tuning_python: Path, smollm2_gguf: Path, tmp_path: Path
) -> None:
    completed = _run(agent_tuning_python, tmp_path, {"epochs": "3"}, smollm2_gguf.parent, EXAMPLES)

    assert completed.returncode == 1
    assert (tmp_path / "output" / "failure").read_text() == "unknown hyperparameter(s): epochs"


def test_a_job_without_a_base_model_channel_fails_saying_so(agent_tuning_python: Path, tmp_path: Path) -> None:
    completed = _run(agent_tuning_python, tmp_path, {}, None, EXAMPLES)

    assert completed.returncode == 1
    assert "no base channel (SM_CHANNEL_BASE)" in (tmp_path / "output" / "failure").read_text()


def test_an_example_not_ending_with_the_assistant_fails_naming_its_line(
    agent_tuning_python: Path, smollm2_gguf: Path, tmp_path: Path
) -> None:
    examples = [*EXAMPLES, {"messages": [{"role": "user", "content": "and then?"}]}]

    completed = _run(agent_tuning_python, tmp_path, {}, smollm2_gguf.parent, examples)

    assert completed.returncode == 1
    failure = (tmp_path / "output" / "failure").read_text()
    assert failure == "examples.jsonl line 3: the last message must be the assistant's"
