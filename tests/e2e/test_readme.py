"""README.md runs as pasted: every ```sh block, in order, exactly as written, against a fresh `forge dev`.

Conventions for README blocks (other sections follow them too):

- Every ```sh block is run, in document order, in one bash session, as a reader pastes them into one shell:
  variables and the PATH carry from block to block. Blocks of other languages (```json, ```) are not run.
- The only substitution is the ports: `127.0.0.1:8000` and `127.0.0.1:4566` become the test platform's. The
  blocks run in a scratch directory holding `.venv` and `tests` links to the checkout's (a reader runs them in the
  checkout, whose committed test data a block may read), with their own config directory
  (`forge login` profiles) and `FORGE_STATE_DIR` naming the test platform's state.
- `# => TEXT` at the end of a line states output: TEXT must appear in what the block prints (stdout and stderr).
  Any other `#` comment is prose.
- A block passes when no command in it fails (bash's ERR trap, with pipefail, watches every command). A block
  whose last command is meant to fail says so on the line before its fence: `<!-- readme-test: exits N -->`.
- `<!-- readme-test: not run (why) -->` on the line before the fence skips a block. Only for blocks that cannot
  run here: ones that need a cloud account (`cdk deploy`-like), and the block that starts the platform and the
  test suite (this test starts `forge dev` itself).
- The ML jobs' environments the blocks use (`.forge/ml-envs/`) are built before the first block, by the function
  `forge dev` builds them with on a job's first run: a reader pays that minute once per checkout, a block's time is
  the job's own.
- A block that waits says so with a command that waits (`forge executions wait`, `--wait`), never a sleep.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devserver.subprocess_platform import LocalPlatform
from shared.resources import PROJECT_ROOT
from tests.e2e.test_local_processes import descendants

pytestmark = pytest.mark.e2e

README = PROJECT_ROOT / "README.md"
MARKER = re.compile(r"<!-- readme-test: (?P<what>not run|exits (?P<code>\d+))\b.*-->")
EXPECTED = re.compile(r"# => (?P<text>.+?)\s*$")
# Guards against a hang only: the longest block tunes a model and starts its endpoint (about a minute on a quiet
# machine, several at a load of 15 on 2 cores).
BLOCK_TIMEOUT_SECONDS = 600
DONE = "__README_BLOCK_DONE__"
FAILED = "__README_COMMAND_FAILED__"


@dataclass(frozen=True)
class Block:
    line: int
    code: str
    skipped: bool
    exit_code: int

    def expected(self) -> list[str]:
        return [match["text"] for line in self.code.splitlines() if (match := EXPECTED.search(line))]


def readme_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```sh":
            start = index + 1
            end = lines.index("```", start)
            marker = MARKER.search(lines[index - 1]) if index else None
            blocks.append(
                Block(
                    line=start,
                    code="\n".join(lines[start:end]),
                    skipped=bool(marker and marker["what"] == "not run"),
                    exit_code=int(marker["code"]) if marker and marker["code"] else 0,
                )
            )
            index = end
        index += 1
    return blocks


class Shell:
    """One bash session fed block by block, as a reader's terminal is."""

    def __init__(self, cwd: Path, environment: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        # On lines of their own: a command's output may not end with a newline (curl's does not).
        self._send(f'set -o pipefail -E; trap \'printf "\\n%s %s %s\\n" {FAILED} $? "$BASH_COMMAND"\' ERR\n')

    def run(self, code: str) -> tuple[int, str]:
        """The block's exit status (its last command's) and everything it printed."""
        self._send(f"{{\n{code}\n}} </dev/null\nprintf '\\n%s %s\\n' {DONE} $?\n")
        output: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=BLOCK_TIMEOUT_SECONDS)
            except queue.Empty:
                raise AssertionError(f"still running after {BLOCK_TIMEOUT_SECONDS} s:\n{''.join(output)}") from None
            if line.startswith(DONE):
                return int(line.split()[1]), "".join(output)
            output.append(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def _send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, forecast_python: Path, agent_tuning_python: Path
) -> Iterator[LocalPlatform]:
    """A fresh `forge dev`, the jobs' environments of "Forecasts" and "Custom agent models" built first."""
    running = LocalPlatform(state_dir=tmp_path_factory.mktemp("readme-state"))
    # A hang guard: forge dev starts in about 10 s on a quiet machine, but took 60 s and more at a load of 11-15.
    running.start(timeout=180)
    yield running
    running.stop()


def test_the_readme_states_its_conventions_in_its_blocks() -> None:
    blocks = readme_blocks(README.read_text())
    assert len(blocks) >= 15
    assert [block.line for block in blocks if block.skipped] == [blocks[0].line], "only `make run`/`make test`"
    writes_a_file_only = re.compile(r"\Acat > \S+ <<'JSON'\n.*\nJSON\Z", re.DOTALL)
    unchecked = [b.line for b in blocks if not b.skipped and not b.expected() and not writes_a_file_only.match(b.code)]
    assert unchecked == [], "a block that states no output checks nothing but its exit status"


def test_every_readme_block_runs_as_written(platform: LocalPlatform, tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    (tmp_path / "tests").symlink_to(PROJECT_ROOT / "tests")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "FORGE_"))}
    environment.update(
        {
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "FORGE_STATE_DIR": str(platform.state_dir),
            "NO_COLOR": "1",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
    )
    shell = Shell(tmp_path, environment)
    ran = 0
    try:
        for block in readme_blocks(README.read_text()):
            if block.skipped:
                continue
            code = block.code.replace("127.0.0.1:8000", f"127.0.0.1:{platform.port}").replace(
                "127.0.0.1:4566", f"127.0.0.1:{platform.aws_port}"
            )
            started = time.monotonic()
            status, output = shell.run(code)
            print(f"README.md block at line {block.line}: {time.monotonic() - started:.1f} s")
            where = f"README.md block at line {block.line}:\n{output}"
            failures = [line for line in output.splitlines() if line.startswith(FAILED)]
            if block.exit_code:
                assert status == block.exit_code, where
                assert len(failures) == 1 and failures[0].split()[1] == str(block.exit_code), where
            else:
                assert failures == [] and status == 0, where
            for text in block.expected():
                assert text.replace("127.0.0.1:8000", f"127.0.0.1:{platform.port}") in output, f"{text!r} in {where}"
            ran += 1
    finally:
        shell.close()
    assert ran >= 14
    assert not model_servers(platform), "a deleted agent model's endpoint left its model server running"


def model_servers(platform: LocalPlatform) -> list[int]:
    """The endpoints' model servers (devserver/sagemaker_serving_worker.py) the platform runs."""
    assert platform.process is not None
    return [pid for pid in descendants(platform.process.pid) if b"sagemaker_serving_worker.py" in _command_line(pid)]


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
