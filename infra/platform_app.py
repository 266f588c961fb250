"""Builds the CDK app from the configuration: a regional stack per region, and the checks on every stack."""

from __future__ import annotations

import json
import os
from typing import Any

from aws_cdk import App, Aspects, Environment, RemovalPolicy
from cdk_nag import AwsSolutionsChecks

from infra.config import ForgeConfig, read_config
from infra.constants import CONFIG_CONTEXT_KEY, CONFIG_FILE_CONTEXT_KEY
from infra.stacks.console import ConsoleHostingStack
from infra.stacks.global_entry import GlobalEntryStack
from infra.stacks.regional import RegionalStack
from infra.stacks.silo import SiloStack
from shared.resources import PROJECT_ROOT

CDK_JSON = PROJECT_ROOT / "cdk.json"
DEFAULT_OUTDIR = PROJECT_ROOT / "cdk.out"


def stack_prefix(config: ForgeConfig) -> str:
    return f"NexusForge-{config.environment}"


def regional_stack_id(config: ForgeConfig, region: str) -> str:
    return f"{stack_prefix(config)}-{region}"


def silo_stack_id(config: ForgeConfig, tenant_id: str) -> str:
    """The name shared/tenancy/placement.py's TenantPlacement.stack_name gives a silo tenant's stack."""
    return f"{stack_prefix(config)}-silo-{tenant_id}"


def build_app(context: dict[str, Any] | None = None, outdir: str | None = None) -> App:
    """The app, its stacks added; raises ConfigError (one line) for a bad configuration."""
    if context is None and "CDK_CONTEXT_JSON" not in os.environ:
        # Run directly (`make synth`) rather than by the cdk CLI: read cdk.json's context as the CLI would.
        context = json.loads(CDK_JSON.read_text()).get("context", {})
    app = App(context=context, outdir=outdir or os.environ.get("CDK_OUTDIR") or str(DEFAULT_OUTDIR))
    config = read_config(
        app.node.try_get_context(CONFIG_CONTEXT_KEY), app.node.try_get_context(CONFIG_FILE_CONTEXT_KEY)
    )
    account = config.account or os.environ.get("CDK_DEFAULT_ACCOUNT")
    build_stacks(app, config, account)
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app


def global_stack_id(config: ForgeConfig) -> str:
    return f"NexusForge-{config.environment}-global"


def console_stack_id(config: ForgeConfig) -> str:
    return f"{stack_prefix(config)}-console"


def build_stacks(app: App, config: ForgeConfig, account: str | None) -> dict[str, RegionalStack]:
    """Regional stacks by region; silo stacks are added to the app, each after the primary (identity, secret)."""
    stacks: dict[str, RegionalStack] = {}
    for region in config.regions:
        stacks[region] = RegionalStack(
            app, regional_stack_id(config, region), config=config, region=region, account=account
        )
    primary = stacks[config.primary_region]
    for region in config.replica_regions:
        # The primary stack creates this region's table replica; deploy it first.
        stacks[region].add_stack_dependency(primary)
    for tenant_id in config.silo_tenants:
        silo = SiloStack(app, silo_stack_id(config, tenant_id), config=config, tenant_id=tenant_id, account=account)
        silo.add_stack_dependency(primary)
    if config.domain:
        entry = GlobalEntryStack(app, global_stack_id(config), config=config, domain=config.domain, account=account)
        for stack in stacks.values():
            # Each region's `<region>.<domain>` record must exist before its health check and latency record.
            entry.add_stack_dependency(stack)
        # The console reaches the API through the global domain, so it is hosted only with one (primary region).
        console = ConsoleHostingStack(
            app,
            console_stack_id(config),
            api_domain=config.domain.name,
            prefix=config.prefix,
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
            env=Environment(account=account, region=config.primary_region),
        )
        console.add_stack_dependency(primary)  # the user pool's id parameter
    return stacks
