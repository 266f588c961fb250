"""Runtime configuration: the same variable names locally and in the cloud, validated at cold start."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORGE_", extra="ignore")

    stage: str = "local"
    table_platform: str | None = None
    bucket_payloads: str | None = None
    state_machine_smoke: str | None = None
    max_request_bytes: int = Field(default=6 * 1024 * 1024, gt=0)

    def require(self, name: str) -> str:
        """A resource name this feature cannot run without; a missing one is a deployment error."""
        value = getattr(self, name)
        if not value:
            raise RuntimeError(f"FORGE_{name.upper()} is not set: the function catalog must grant this resource")
        return str(value)


@lru_cache(maxsize=1)
def get_settings() -> PlatformSettings:
    return PlatformSettings()
