"""The independent ASL validator (npm `asl-validator`) and the reference JSONata (npm `jsonata`, which Step Functions'
JSONata follows), installed once into the git-ignored .build/node."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from shared.resources import PROJECT_ROOT

NODE_PREFIX = PROJECT_ROOT / ".build" / "node"
CLI = NODE_PREFIX / "node_modules" / ".bin" / "asl-validator"
REFERENCE_JSONATA = NODE_PREFIX / "node_modules" / "jsonata"
PACKAGES = ("asl-validator@4", "jsonata@2")
# Reads a JSON list of expressions on stdin, writes for each the reference parser's error message or null.
_REFERENCE_PARSE = """
const jsonata = require(process.argv[1]);
const texts = JSON.parse(require("fs").readFileSync(0, "utf8"));
const errors = texts.map((text) => { try { jsonata(text); return null; } catch (error) { return error.message; } });
process.stdout.write(JSON.stringify(errors));
"""


@cache
def _installed() -> None:
    NODE_PREFIX.mkdir(parents=True, exist_ok=True)
    # A file lock: `make test`'s two pytest processes (pytest-xdist) may both be first to need it in a fresh clone.
    with (NODE_PREFIX.parent / "node.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (CLI.exists() and REFERENCE_JSONATA.exists()):
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError("npm is needed to install asl-validator (Node.js is a prerequisite of `make test`)")
            subprocess.run(
                [npm, "install", "--prefix", str(NODE_PREFIX), *PACKAGES, "--no-audit", "--no-fund", "--silent"],
                check=True,
                timeout=300,
            )


def asl_validator_cli() -> Path:
    _installed()
    return CLI


def reference_jsonata_errors(texts: list[str]) -> list[str | None]:
    """For each expression, the reference JSONata parser's error message, or None when it parses."""
    _installed()
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is a prerequisite of `make test`")
    completed = subprocess.run(
        [node, "-e", _REFERENCE_PARSE, str(REFERENCE_JSONATA)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    errors: list[str | None] = json.loads(completed.stdout)
    return errors


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
