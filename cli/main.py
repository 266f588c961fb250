"""The `forge` entry point."""

from __future__ import annotations

import click

from cli.agent_models import agent_models
from cli.app import ForgeGroup, Invocation
from cli.approvals import approvals
from cli.config import DEFAULT_PROFILE
from cli.executions import executions, run
from cli.forecasts import forecasts
from cli.hooks import hooks
from cli.keys import keys
from cli.local import dev, openapi, token
from cli.login import login
from cli.marketplace import marketplace
from cli.ml import ml
from cli.quality import quality
from cli.schedules import schedules
from cli.tenants import tenants
from cli.workflows import workflows


@click.group(cls=ForgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--profile",
    envvar="FORGE_PROFILE",
    default=DEFAULT_PROFILE,
    show_default=True,
    help="The environment to talk to, as kept by `forge login` (or FORGE_PROFILE).",
)
@click.pass_context
def forge(context: click.Context, profile: str) -> None:
    """Nexus Forge: run the platform locally and drive a tenant's workflows over its API.

    Exit codes: 0 done, 1 the API refused (its problem's title and detail are printed) or an execution waited for
    did not succeed, 2 a usage error."""
    context.ensure_object(Invocation).profile_name = profile


for command in (
    dev,
    token,
    openapi,
    login,
    run,
    workflows,
    executions,
    hooks,
    schedules,
    approvals,
    keys,
    tenants,
    marketplace,
    ml,
    forecasts,
    quality,
    agent_models,
):
    forge.add_command(command)


def main() -> None:
    forge()
