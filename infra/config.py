"""The platform engineer's configuration: one typed model, read from the `forge` key of the CDK context."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from infra.constants import KNOWN_REGIONS, PROJECT
from shared.store.tenant_scoped import TenantContext

DOMAIN_PATTERN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


SILO_SHORT_ID_LENGTH = 8
BEDROCK_MODEL_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:bedrock:([a-z]{2}(-[a-z]+)+-\d|\*):(\d{12})?:"
    r"(foundation-model|inference-profile|application-inference-profile|provisioned-model|custom-model)/[^\s]+$"
)


def silo_short_id(tenant_id: str) -> str:
    return tenant_id[:SILO_SHORT_ID_LENGTH]


class ConfigError(ValueError):
    """A configuration a platform engineer must fix; its message is one line naming the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DomainConfig(_Strict):
    name: str = Field(description="The API's custom domain, e.g. api.example.com")
    hosted_zone_id: str = Field(pattern=r"^Z[A-Z0-9]{4,31}$")
    hosted_zone_name: str

    @field_validator("name", "hosted_zone_name")
    @classmethod
    def _domain_name(cls, value: str) -> str:
        if not DOMAIN_PATTERN.match(value):
            raise ValueError(f"{value!r} is not a domain name (lower-case labels separated by dots)")
        return value

    @model_validator(mode="after")
    def _name_in_zone(self) -> DomainConfig:
        # A subdomain, not the apex: latency routing uses CNAME records.
        if not self.name.endswith("." + self.hosted_zone_name):
            raise ValueError(f"domain {self.name!r} is not a subdomain of hosted zone {self.hosted_zone_name!r}")
        return self


class ForgeConfig(_Strict):
    environment: str = Field(default="dev", pattern=r"^[a-z][a-z0-9-]{1,15}$")
    account: str | None = Field(default=None, pattern=r"^\d{12}$")
    regions: tuple[str, ...] = Field(
        default=("us-east-1",), description="The first is the primary region, owner of the global tables"
    )
    domain: DomainConfig | None = None
    alarm_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    removal: Literal["destroy", "retain"] | None = Field(
        default=None, description="What happens to data on stack deletion; default: retain in prod, destroy elsewhere"
    )
    log_retention_days: Literal[7, 14, 30, 90, 365] = 30
    ml_monthly_budget_usd: float = Field(
        default=500.0,
        gt=0,
        le=1_000_000,
        description="The account's SageMaker spend per month the platform expects: its budget warns the alarm topic at "
        "80% spent and when the month is forecast to exceed it (each job is also held to its own cost cap)",
    )
    api_rate_limit: float = Field(default=100.0, gt=0)
    api_burst_limit: int = Field(default=200, gt=0)
    waf_rate_limit_per_5_minutes: int = Field(default=2000, ge=10)
    webhook_reserved_concurrency: int | None = Field(
        default=None,
        gt=0,
        description="The most instances of the webhooks function (deliveries on its function URL and the /v1/hooks "
        "management routes alike) may hold of the account's concurrency; past it deliveries are answered 429 and "
        "senders retry. None: no cap (an alarm warns at api_burst_limit concurrent instances)",
    )
    powertools_layer_version: int = Field(default=27, gt=0)
    api_gateway_account_role: bool = Field(
        default=False,
        description="Set API Gateway's account-wide CloudWatch Logs role in each configured region (the platform's "
        "regional stacks create it and keep it on destroy); leave false where the account already has one",
    )
    marketplace_search_standby_replicas: bool = Field(
        default=True,
        description="Marketplace search (OpenSearch Serverless) with standby replicas in another Availability Zone; "
        "false halves its minimum capacity (docs/marketplace.md, the cost floor) for environments that can lose it",
    )
    silo_tenants: tuple[str, ...] = Field(
        default=(), description="Enterprise tenants (ids) each given a dedicated stack in the primary region"
    )
    agent_model_arns: tuple[str, ...] = Field(
        default=(),
        description="The Amazon Bedrock models (foundation models, inference profiles) agent nodes may invoke; "
        "none: agents reach no Bedrock model",
    )

    @field_validator("regions")
    @classmethod
    def _known_distinct_regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        if not regions:
            raise ValueError("the region list is empty; name at least the primary region")
        for region in regions:
            if region not in KNOWN_REGIONS:
                raise ValueError(f"unknown region {region!r}")
        primary = regions[0]
        for replica in regions[1:]:
            if replica == primary:
                raise ValueError(f"replica region {replica!r} is the primary region")
        if len(set(regions)) != len(regions):
            raise ValueError(f"a region is listed twice in {list(regions)}")
        return regions

    @field_validator("silo_tenants")
    @classmethod
    def _tenant_ids(cls, tenant_ids: tuple[str, ...]) -> tuple[str, ...]:
        for tenant_id in tenant_ids:
            try:
                TenantContext(tenant_id)
            except ValueError:
                raise ValueError(f"{tenant_id!r} is not a tenant id (8 to 40 lower-case letters and digits)") from None
        if len(set(tenant_ids)) != len(tenant_ids):
            raise ValueError(f"a tenant is listed twice in {list(tenant_ids)}")
        short = [silo_short_id(tenant_id) for tenant_id in tenant_ids]
        if len(set(short)) != len(short):
            raise ValueError(
                f"two silo tenants share their first {SILO_SHORT_ID_LENGTH} characters, which name their resources"
            )
        return tenant_ids

    @field_validator("agent_model_arns")
    @classmethod
    def _bedrock_model_arns(cls, arns: tuple[str, ...]) -> tuple[str, ...]:
        for arn in arns:
            if not BEDROCK_MODEL_ARN.match(arn):
                raise ValueError(
                    f"{arn!r} is not a Bedrock model ARN (arn:aws:bedrock:<region>:<account or empty>:"
                    "foundation-model/<id>, inference-profile/<id>, ...)"
                )
        return arns

    def silo_prefix(self, tenant_id: str) -> str:
        """Physical names of a silo's resources: short enough for a bucket name (63 characters with account, region)."""
        return f"{self.prefix}-{silo_short_id(tenant_id)}"

    @property
    def primary_region(self) -> str:
        return self.regions[0]

    @property
    def replica_regions(self) -> tuple[str, ...]:
        return self.regions[1:]

    @property
    def prefix(self) -> str:
        return f"{PROJECT}-{self.environment}"

    @property
    def retain_data(self) -> bool:
        return self.removal == "retain" if self.removal else self.environment == "prod"


def load_config(raw: dict[str, Any] | None) -> ForgeConfig:
    """The validated configuration, or a ConfigError whose message is one line naming the field."""
    try:
        return ForgeConfig.model_validate(raw or {})
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"]) or "config"
        message = first["msg"].removeprefix("Value error, ")
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        raise ConfigError(f"invalid Nexus Forge config: {location}: {message}{more}") from None


def read_config(context_value: object, config_file: object) -> ForgeConfig:
    """The `forge` context object, or the JSON file named by the `forge_config_file` context value."""
    if config_file:
        path = Path(str(config_file))
        try:
            raw = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ConfigError(f"invalid Nexus Forge config: cannot read {path}: {error}") from None
        return load_config(raw)
    if context_value is not None and not isinstance(context_value, dict):
        raise ConfigError("invalid Nexus Forge config: the `forge` context value must be an object")
    return load_config(context_value)
