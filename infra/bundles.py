"""The files Lambda gets, laid out on this machine (never through Docker): each function's package and our
dependency layer, with the bytecode of every module compiled for Lambda's Python. No CDK here: infra/packaging.py
makes them assets, bench/cold_start.py imports from them as Lambda would."""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

from shared.resources import PROJECT_ROOT

FUNCTIONS_DIR = PROJECT_ROOT / "functions"
SHARED_DIR = PROJECT_ROOT / "shared"
LAYERS_DIR = PROJECT_ROOT / "layers"
SAGEMAKER_DIR = PROJECT_ROOT / "sagemaker"
# The SageMaker training contract helpers every job's train.py imports, packed beside it.
JOB_CONTRACT = SAGEMAKER_DIR / "contract.py"
JOB_SOURCE_ARCHIVE = "sourcedir.tar.gz"
LAYER_REQUIREMENTS = LAYERS_DIR / "requirements.txt"
LAYER_BUILD_DIR = LAYERS_DIR / "build"
# Lambda's Python. Bytecode is version-specific, so only an interpreter of this version can compile what it loads.
RUNTIME_PYTHON_VERSION = "3.13"
RUNTIME_CACHE_TAG = "cpython-" + RUNTIME_PYTHON_VERSION.replace(".", "")
LAMBDA_PLATFORM = ("--python-platform", "x86_64-manylinux_2_28", "--python-version", RUNTIME_PYTHON_VERSION)
# Unchecked-hash pyc: Lambda's code directories are read-only (a stale or missing pyc means compiling every module
# on every cold start) and a zip's timestamps would invalidate timestamp-checked ones.
BYTECODE_SCHEME = f"{RUNTIME_CACHE_TAG}-unchecked-hash"
BYTECODE_CACHE_DIR = PROJECT_ROOT / ".build" / "bytecode" / BYTECODE_SCHEME


class BundlingError(RuntimeError):
    """Local bundling failed; the message says which step and why."""


def _source_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def function_code_files(function_name: str) -> list[tuple[Path, Path]]:
    """(source, path inside the package) of every file in one function's package: its folder and shared/."""
    files = [(FUNCTIONS_DIR / "__init__.py", Path("functions/__init__.py"))]
    files += [(path, path.relative_to(PROJECT_ROOT)) for path in _source_files(FUNCTIONS_DIR / function_name)]
    files += [(path, path.relative_to(PROJECT_ROOT)) for path in _source_files(SHARED_DIR)]
    return files


def job_source_files(source_folder: str) -> list[tuple[Path, Path]]:
    """(source, path inside the archive) of a job kind's sourcedir: its sagemaker/ folder and the shared contract."""
    folder = SAGEMAKER_DIR / source_folder
    files = [(path, path.relative_to(folder)) for path in _source_files(folder)]
    return [*files, (JOB_CONTRACT, Path(JOB_CONTRACT.name))]


def build_job_source(source_folder: str, output_dir: Path) -> Path:
    """The kind's sourcedir.tar.gz as SageMaker's framework containers unpack it (`sagemaker_submit_directory`),
    byte for byte the same for the same files: sorted, no times or owners."""
    target = output_dir / JOB_SOURCE_ARCHIVE
    with (
        target.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for source, name in job_source_files(source_folder):
            entry = tarfile.TarInfo(str(name))
            entry.size = source.stat().st_size
            entry.mode = 0o644
            with source.open("rb") as content:
                archive.addfile(entry, content)
    return target


def content_digest(files: list[tuple[Path, Path]]) -> str:
    """The files' paths and contents under the bytecode scheme: a package's asset hash, a module's bytecode key."""
    digest = hashlib.sha256(BYTECODE_SCHEME.encode())
    for source, target in files:
        digest.update(str(target).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _runtime_python_candidates() -> list[str]:
    version = RUNTIME_PYTHON_VERSION
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    on_path = shutil.which(f"python{version}")
    in_pyenv = sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))
    return ([on_path] if on_path else []) + [str(path) for path in in_pyenv]


@functools.cache
def find_runtime_python() -> Path | None:
    """An interpreter of Lambda's Python version (as `make test-py313` finds one: on PATH, then in pyenv), or None."""
    probe = f"import sys; assert '%d.%d' % sys.version_info[:2] == {RUNTIME_PYTHON_VERSION!r}; print(sys.executable)"
    for candidate in _runtime_python_candidates():
        result = subprocess.run([candidate, "-c", probe], capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode == 0:
            return Path(result.stdout.strip())
    return None


def runtime_python() -> Path:
    """The interpreter that compiles what we ship; there is no fallback, as bytecode of another version is dead
    weight and source alone costs every cold start its compilation."""
    found = find_runtime_python()
    if found is None:
        version = RUNTIME_PYTHON_VERSION
        raise BundlingError(
            f"bundling compiles bytecode for Lambda's Python {version} and needs that interpreter: "
            f"put a python{version} on PATH or install it with pyenv (`pyenv install {version}`)"
        )
    return found


def bytecode_path(source: Path) -> Path:
    """Where the runtime looks for a module's bytecode: __pycache__/<name>.cpython-313.pyc beside its source."""
    return source.parent / "__pycache__" / f"{source.stem}.{RUNTIME_CACHE_TAG}.pyc"


def compile_bytecode(root: Path) -> None:
    """Compiles every .py under `root` into its __pycache__ with the runtime's Python, as unchecked-hash pyc that
    name their source by its path under `root` (so the output does not depend on where it was built)."""
    command = [str(runtime_python()), "-P", "-m", "compileall", "-q", "-f", "--invalidation-mode", "unchecked-hash"]
    command += ["-s", str(root), str(root)]
    # A fixed hash seed: set constants (`x in {"a", "b"}`) are marshalled in hash order.
    result = subprocess.run(command, capture_output=True, text=True, check=False, env={"PYTHONHASHSEED": "0"})  # noqa: S603
    if result.returncode != 0:
        raise BundlingError(f"compiling bytecode under {root} failed: {(result.stdout + result.stderr).strip()}")


def _cached_bytecode(files: list[tuple[Path, Path]]) -> dict[Path, Path]:
    """The bytecode of every .py (path in the package → cached pyc), from a cache keyed by path and content, so
    shared/ is compiled once for all the functions and again only where it changed."""
    cached = {
        target: BYTECODE_CACHE_DIR / f"{content_digest([(source, target)])}.pyc"
        for source, target in files
        if target.suffix == ".py"
    }
    missing = [(source, target) for source, target in files if target in cached and not cached[target].exists()]
    if missing:
        BYTECODE_CACHE_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=BYTECODE_CACHE_DIR) as staging:
            for source, target in missing:
                (Path(staging) / target).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, Path(staging) / target)
            compile_bytecode(Path(staging))
            for _, target in missing:
                os.replace(Path(staging) / bytecode_path(target), cached[target])
    return cached


def build_function_code(function_name: str, output_dir: Path) -> None:
    """Lays out one function's package in `output_dir` as it ships: its files and their bytecode."""
    handler = FUNCTIONS_DIR / function_name / "handler.py"
    if not handler.exists():
        raise BundlingError(f"catalog function {function_name!r} has no {handler.relative_to(PROJECT_ROOT)}")
    files = function_code_files(function_name)
    for source, target in files:
        (output_dir / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, output_dir / target)
    for target, bytecode in _cached_bytecode(files).items():
        (output_dir / bytecode_path(target)).parent.mkdir(exist_ok=True)
        shutil.copyfile(bytecode, output_dir / bytecode_path(target))


def packages_provided_by_aws() -> list[str]:
    """What Lambda's Python runtime and the Powertools layer provide, so our layer leaves it out: the Makefile's
    LAYER_PROVIDED, which `make layer-lock` hands to uv."""
    match = re.search(r"^LAYER_PROVIDED := (.+)$", (PROJECT_ROOT / "Makefile").read_text(), re.MULTILINE)
    if match is None:
        raise BundlingError("the Makefile no longer names what the runtime provides (LAYER_PROVIDED)")
    return match.group(1).split()


def layer_requirements_hash() -> str:
    return hashlib.sha256(BYTECODE_SCHEME.encode() + LAYER_REQUIREMENTS.read_bytes()).hexdigest()[:16]


def uv_executable() -> str:
    found = shutil.which("uv") or str(PROJECT_ROOT / ".venv-tools" / "bin" / "uv")
    if not Path(found).exists():
        raise BundlingError("the dependency layer needs uv: run `make install` first")
    return found


def build_dependency_layer() -> Path:
    """Installs layers/requirements.txt for Lambda's Python 3.13 on x86_64 into layers/build/<hash>/python, with
    the bytecode of every module compiled by a Python 3.13."""
    build_dir = LAYER_BUILD_DIR / layer_requirements_hash()
    done_marker = build_dir / ".complete"
    if done_marker.exists():
        return build_dir
    runtime_python()  # missing, it fails the build here rather than after the install
    shutil.rmtree(build_dir, ignore_errors=True)
    command = [
        uv_executable(),
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--require-hashes",
        "--only-binary",
        ":all:",
        *LAMBDA_PLATFORM,
        "--python",
        sys.executable,
        "--target",
        str(build_dir / "python"),
        "-r",
        str(LAYER_REQUIREMENTS),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())  # noqa: S603
    if result.returncode != 0:
        raise BundlingError(f"building the dependency layer failed: {result.stderr.strip().splitlines()[-1:]}")
    for cache in build_dir.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    compile_bytecode(build_dir / "python")
    done_marker.touch()
    return build_dir
