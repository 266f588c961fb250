"""Lambda code and the dependency layer, bundled on this machine (never through Docker)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from shared.resources import PROJECT_ROOT

FUNCTIONS_DIR = PROJECT_ROOT / "functions"
SHARED_DIR = PROJECT_ROOT / "shared"
LAYERS_DIR = PROJECT_ROOT / "layers"
LAYER_REQUIREMENTS = LAYERS_DIR / "requirements.txt"
LAYER_BUILD_DIR = LAYERS_DIR / "build"
LAMBDA_PLATFORM = ("--python-platform", "x86_64-manylinux_2_28", "--python-version", "3.13")
# Required by the CDK API but never used: local bundling always succeeds or raises.
UNUSED_BUNDLING_IMAGE = DockerImage.from_registry("nexus-forge-local-bundling-only")


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


def _digest(files: list[tuple[Path, Path]]) -> str:
    digest = hashlib.sha256()
    for source, target in files:
        digest.update(str(target).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


@jsii.implements(ILocalBundling)
class _FunctionCodeBundler:
    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    def try_bundle(self, output_dir: str, _options: Any) -> bool:
        handler = FUNCTIONS_DIR / self.function_name / "handler.py"
        if not handler.exists():
            raise BundlingError(f"catalog function {self.function_name!r} has no {handler.relative_to(PROJECT_ROOT)}")
        for source, target in function_code_files(self.function_name):
            destination = Path(output_dir) / target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
        return True


def function_code(function_name: str) -> lambda_.Code:
    """functions/__init__.py + functions/<name>/ + shared/, hashed by content."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=_digest(function_code_files(function_name)),
        bundling=BundlingOptions(
            image=UNUSED_BUNDLING_IMAGE, local=cast(ILocalBundling, _FunctionCodeBundler(function_name))
        ),
    )


def layer_requirements_hash() -> str:
    return hashlib.sha256(LAYER_REQUIREMENTS.read_bytes()).hexdigest()[:16]


def _uv() -> str:
    found = shutil.which("uv") or str(PROJECT_ROOT / ".venv-tools" / "bin" / "uv")
    if not Path(found).exists():
        raise BundlingError("the dependency layer needs uv: run `make install` first")
    return found


def build_dependency_layer() -> Path:
    """Installs layers/requirements.txt for Lambda's Python 3.13 on x86_64 into layers/build/<hash>/python."""
    build_dir = LAYER_BUILD_DIR / layer_requirements_hash()
    done_marker = build_dir / ".complete"
    if done_marker.exists():
        return build_dir
    shutil.rmtree(build_dir, ignore_errors=True)
    command = [
        _uv(),
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
    done_marker.touch()
    return build_dir


@jsii.implements(ILocalBundling)
class _DependencyLayerBundler:
    def try_bundle(self, output_dir: str, _options: Any) -> bool:
        shutil.copytree(build_dependency_layer() / "python", Path(output_dir) / "python", dirs_exist_ok=True)
        return True


def dependency_layer_code() -> lambda_.Code:
    """Our dependency layer, rebuilt only when layers/requirements.txt changes."""
    return lambda_.Code.from_asset(
        str(LAYERS_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=layer_requirements_hash(),
        bundling=BundlingOptions(image=UNUSED_BUNDLING_IMAGE, local=cast(ILocalBundling, _DependencyLayerBundler())),
    )
