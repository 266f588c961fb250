"""The Lambda dependency layer is pinned from pyproject's runtime dependencies, so a new one cannot be forgotten."""

from __future__ import annotations

import re
import tomllib

from infra.bundles import packages_provided_by_aws
from shared.resources import PROJECT_ROOT


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pinned_in_layer() -> set[str]:
    lock = (PROJECT_ROOT / "layers" / "requirements.txt").read_text()
    return {_normalized(line.split("==")[0]) for line in lock.splitlines() if re.match(r"^[A-Za-z0-9]", line)}


def _provided_by_runtime_or_powertools_layer() -> set[str]:
    return {_normalized(name) for name in packages_provided_by_aws()}


def test_every_runtime_dependency_is_in_the_layer_or_provided() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    required = {_normalized(re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}
    missing = required - _pinned_in_layer() - _provided_by_runtime_or_powertools_layer()
    assert not missing, f"run `make layer-lock`: {sorted(missing)} are not in layers/requirements.txt"


def test_the_layer_pins_the_same_versions_as_the_development_lock() -> None:
    def pins(path: str) -> dict[str, str]:
        text = (PROJECT_ROOT / path).read_text()
        return {
            _normalized(name): version for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==([^\s\\;]+)", text, re.M)
        }

    development, layer = pins("requirements.lock"), pins("layers/requirements.txt")
    drifted = {
        name: (version, development[name])
        for name, version in layer.items()
        if development.get(name, version) != version
    }
    assert not drifted, f"run `make lock layer-lock`: layer vs development pins differ: {drifted}"
