"""What moto would load into the emulation for services the local platform never calls, left unloaded until one is.

moto's Step Functions interpreter imports every service integration it knows, and its AWS Batch integration needs
one enum from `moto.batch.utils`: importing that module runs `moto.batch`'s package, which imports Batch's backend,
ECS's and EC2's, and EC2 parses the instance type offerings of every region at import (about 1 s and 100 MB held
for the process's life, the largest single part of the emulation's memory). The platform's state machines call
Lambda, SageMaker, SQS and Step Functions, never Batch or EC2.

So the two modules the integration needs (the enum's and its exceptions') are loaded on their own, before the
interpreter is: a request that does reach Batch, ECS or EC2 imports their packages as before, which then find these
two modules already loaded. Belongs upstream in moto (a lazy import in state_task_service_batch.py).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_BATCH_MODULES = ("exceptions", "utils")


def defer_batch_backend() -> None:
    """Idempotent; call it before moto's Step Functions interpreter is imported (it has no effect after)."""
    if "moto.batch" in sys.modules:
        return
    moto = importlib.util.find_spec("moto")
    assert moto is not None and moto.submodule_search_locations is not None
    package = Path(next(iter(moto.submodule_search_locations))) / "batch"
    for name in _BATCH_MODULES:
        qualified = f"moto.batch.{name}"
        if qualified in sys.modules:
            continue
        spec = importlib.util.spec_from_file_location(qualified, package / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[qualified] = module
        spec.loader.exec_module(module)
