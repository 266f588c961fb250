"""Each provider module is found by its registry name, and importing it loads neither httpx nor boto3: node_agent's
cold start pays for them only with its first model turn (docs/agent-providers.md has the measured cost)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shared.agents.providers.registry import ProviderName, provider
from shared.resources import PROJECT_ROOT

PROVIDERS: list[ProviderName] = ["openai_chat", "openai_responses", "anthropic", "openai_compatible", "sagemaker"]


@pytest.mark.parametrize("name", PROVIDERS)
def test_the_registry_finds_each_provider_by_its_name(name: ProviderName) -> None:
    assert provider(name).name == name


@pytest.mark.parametrize("name", PROVIDERS)
def test_importing_a_provider_loads_neither_httpx_nor_boto3(name: ProviderName) -> None:
    probe = "import importlib, json, sys; importlib.import_module(sys.argv[1]); print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe, f"shared.agents.providers.{name}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    modules = json.loads(result.stdout.strip().splitlines()[-1])

    assert [module for module in modules if module.split(".")[0] in ("httpx", "httpcore", "boto3")] == []
