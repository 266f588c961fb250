"""A function's bundle ships the bytecode Lambda's Python loads, so no cold start compiles our modules from source."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from infra import bundles
from infra.bundles import (
    RUNTIME_CACHE_TAG,
    BundlingError,
    build_dependency_layer,
    build_function_code,
    bytecode_path,
    compile_bytecode,
    find_runtime_python,
)

pytestmark = [
    pytest.mark.infra,
    pytest.mark.skipif(find_runtime_python() is None, reason="no Python 3.13 (Lambda's runtime) on PATH or in pyenv"),
]

# Run by the runtime's interpreter over a bundle: how each module's bytecode reads, and whether the import system
# takes it (compiling from source is made to fail, so a pyc it rejected shows up as an error).
_LOAD_EVERY_MODULE = """
import importlib.machinery, importlib.util, json, pathlib, sys

root = pathlib.Path(sys.argv[1])
report = {}

def refuse_to_compile(*_args, **_kwargs):
    raise AssertionError("compiled from source")

for source in sorted(root.rglob("*.py")):
    name = ".".join(source.relative_to(root).with_suffix("").parts)
    cached = pathlib.Path(importlib.util.cache_from_source(str(source)))
    if not cached.is_file():
        report[str(source.relative_to(root))] = "no bytecode"
        continue
    header = cached.read_bytes()[:16]
    loader = importlib.machinery.SourceFileLoader(name, str(source))
    loader.source_to_code = refuse_to_compile
    try:
        loaded = "from bytecode" if loader.get_code(name).co_filename == str(source) else "with another file name"
    except AssertionError as error:
        loaded = str(error)
    report[str(source.relative_to(root))] = {
        "magic": header[:4] == importlib.util.MAGIC_NUMBER,
        "flags": int.from_bytes(header[4:8], "little"),
        "source_hash": header[8:16] == importlib.util.source_hash(source.read_bytes()),
        "loaded": loaded,
    }
print(json.dumps(report))
"""
HASH_BASED_UNCHECKED = 0b01
AS_SHIPPED = {"magic": True, "flags": HASH_BASED_UNCHECKED, "source_hash": True, "loaded": "from bytecode"}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("authorizer-bundle")
    build_function_code("authorizer", output)
    return output


def test_every_module_in_a_bundle_has_bytecode_for_the_runtimes_python(bundle: Path) -> None:
    sources = sorted(bundle.rglob("*.py"))
    without_bytecode = [str(source) for source in sources if not bytecode_path(source).is_file()]

    assert len(sources) > 100
    assert without_bytecode == []
    assert all(path.name.endswith(f".{RUNTIME_CACHE_TAG}.pyc") for path in bundle.rglob("*.pyc"))


def _bytecode_report(root: Path) -> dict[str, object]:
    python = find_runtime_python()
    assert python is not None
    result = subprocess.run(
        [str(python), "-S", "-c", _LOAD_EVERY_MODULE, str(root)], capture_output=True, text=True, check=True
    )
    report: dict[str, object] = json.loads(result.stdout)
    return report


def test_the_runtimes_python_loads_every_modules_bytecode_unchecked_without_compiling(bundle: Path) -> None:
    report = _bytecode_report(bundle)

    assert "functions/authorizer/handler.py" in report
    assert report == dict.fromkeys(report, AS_SHIPPED)


def test_the_dependency_layer_ships_bytecode_for_the_runtimes_python_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stands in for uv: installs one module, with bytecode of the development Python beside it.
    fake_uv = tmp_path / "uv"
    fake_uv.write_text(
        "#!/bin/sh\n"
        'while [ $# -gt 0 ]; do [ "$1" = --target ] && target=$2; shift; done\n'
        'mkdir -p "$target/dependency/__pycache__"\n'
        'echo "VALUE = 1" > "$target/dependency/__init__.py"\n'
        'echo stale > "$target/dependency/__pycache__/__init__.cpython-311.pyc"\n'
    )
    fake_uv.chmod(0o755)
    monkeypatch.setattr(bundles, "uv_executable", lambda: str(fake_uv))
    monkeypatch.setattr(bundles, "LAYER_BUILD_DIR", tmp_path / "build")

    layer = build_dependency_layer() / "python"

    assert _bytecode_report(layer) == {"dependency/__init__.py": AS_SHIPPED}
    assert [path.name for path in layer.rglob("*.pyc")] == [f"__init__.{RUNTIME_CACHE_TAG}.pyc"]


def test_a_module_that_does_not_compile_fails_the_build_naming_it(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def broken(:\n")

    with pytest.raises(BundlingError, match=r"broken\.py"):
        compile_bytecode(tmp_path)


def test_without_the_runtimes_python_compiling_fails_saying_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "module.py").write_text("VALUE = 1\n")
    monkeypatch.setattr(bundles, "find_runtime_python", lambda: None)

    with pytest.raises(BundlingError, match=r"needs that interpreter: put a python3\.13 on PATH"):
        compile_bytecode(tmp_path)
    assert not bytecode_path(tmp_path / "module.py").exists()
