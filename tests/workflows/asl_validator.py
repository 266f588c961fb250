"""The independent ASL validator (npm `asl-validator`), installed once into the git-ignored .build/node."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import Any

from shared.resources import PROJECT_ROOT

NODE_PREFIX = PROJECT_ROOT / ".build" / "node"
CLI = NODE_PREFIX / "node_modules" / ".bin" / "asl-validator"
PACKAGE = "asl-validator@4"
_install_lock = threading.Lock()


@cache
def asl_validator_cli() -> Path:
    with _install_lock:
        if not CLI.exists():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError("npm is needed to install asl-validator (Node.js is a prerequisite of `make test`)")
            NODE_PREFIX.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [npm, "install", "--prefix", str(NODE_PREFIX), PACKAGE, "--no-audit", "--no-fund", "--silent"],
                check=True,
                timeout=300,
            )
    return CLI


def asl_validator_problems(definitions: list[dict[str, Any]]) -> str | None:
    """None when every definition is valid; otherwise the validator's report."""
    with tempfile.TemporaryDirectory() as folder:
        arguments: list[str] = []
        for position, definition in enumerate(definitions):
            path = Path(folder) / f"definition-{position}.json"
            path.write_text(json.dumps(definition))
            arguments += ["--json-path", str(path)]
        completed = subprocess.run(
            [str(asl_validator_cli()), *arguments], capture_output=True, text=True, timeout=120, check=False
        )
    return None if completed.returncode == 0 else completed.stdout + completed.stderr
