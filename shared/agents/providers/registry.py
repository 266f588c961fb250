"""Provider name → its module, imported on first use so a turn pays only for the provider it calls."""

from __future__ import annotations

import importlib
from typing import Literal, get_args

from shared.agents.providers.contract import ModelProvider

ProviderName = Literal["bedrock", "openai_chat", "openai_responses", "anthropic", "openai_compatible", "sagemaker"]
PROVIDER_NAMES: tuple[ProviderName, ...] = get_args(ProviderName)


def provider(name: ProviderName) -> ModelProvider:
    """The provider of that name; each module `shared.agents.providers.<name>` exposes `PROVIDER`."""
    module = importlib.import_module(f"shared.agents.providers.{name}")
    found: ModelProvider = module.PROVIDER
    return found
