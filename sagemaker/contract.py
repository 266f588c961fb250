"""The SageMaker training contract every job's train.py follows (sagemaker/README.md), in one place.

Paths and settings come from the `SM_*` environment, never a hard-coded `/opt/ml`; a failure's reason goes to
`failure` in `SM_OUTPUT_DIR`; metrics are printed one a line as `validation:<name>=<value>;` for `MetricDefinitions`
regexes. The file is packed beside each job's train.py in its sourcedir.tar.gz (infra/bundles.py); run from the
repository, a train.py finds it one folder up.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any


class JobError(Exception):
    """A reason the job cannot run, written to the failure file as it is."""


def hyperparameters() -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(os.environ.get("SM_HPS", "{}"))
    return decoded


def channel(name: str, holding: str = "") -> Path:
    """The folder of an input channel, or a JobError naming it (and what it should hold)."""
    variable = f"SM_CHANNEL_{name.upper()}"
    folder = os.environ.get(variable)
    if folder is None:
        raise JobError(f"the job has no {name} channel ({variable}){f' with {holding}' if holding else ''}")
    return Path(folder)


def model_dir() -> Path:
    return Path(os.environ["SM_MODEL_DIR"])


def run(job: Callable[[], dict[str, float]]) -> int:
    """Runs the job, prints its metrics and answers the process's exit code; any error ends the job with its reason
    in the failure file."""
    output_dir = Path(os.environ["SM_OUTPUT_DIR"])
    try:
        metrics = job()
    except JobError as error:
        _fail(output_dir, str(error))
        return 1
    except Exception:  # noqa: BLE001 -- any error ends the job, its reason in the failure file
        _fail(output_dir, traceback.format_exc(limit=-3))
        return 1
    for name, value in metrics.items():
        # One metric a line, for MetricDefinitions regexes such as `validation:mase=([0-9.eE+-]+);`.
        print(f"validation:{name}={value:.6f};", flush=True)
    return 0


def _fail(output_dir: Path, reason: str) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "failure").write_text(reason)
    print(reason, file=sys.stderr)
