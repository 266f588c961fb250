"""`forge forecasts get`: the tenant's or a workflow's latest workload forecast, with intervals and quota warnings."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Group
from rich.table import Table

from cli.app import ForgeGroup, emit, invocation, table

METRIC_COLUMNS = ["metric", "workflow_id", "model", "mase", "seasonal_naive_mase"]
SHOWN_POINTS = 6


@click.group(cls=ForgeGroup)
def forecasts() -> None:
    """Workload forecasts (the nightly forecast job's, per tenant and workflow)."""


@forecasts.command("get")
@click.option("--workflow", "workflow_id", help="A workflow's id: its series only (the tenant's otherwise).")
@click.option("--horizon", type=click.IntRange(24, 168), default=168, show_default=True, help="Hours ahead.")
def get_forecasts(workflow_id: str | None, horizon: int) -> None:
    """The latest forecast: each series' model and MASE beside seasonal naive's, its first hours with intervals."""
    query: dict[str, Any] = {"horizon": horizon}
    if workflow_id:
        query["workflow_id"] = workflow_id
    answer = invocation().client().get("/v1/forecasts", **query)
    emit(answer, _render, quiet=answer["job_id"] or "")


def _render(answer: dict[str, Any]) -> Group | str:
    if not answer["available"]:
        return str(answer["detail"])
    level = f"{answer['interval_level']:.0%}"
    parts: list[Any] = [
        f"{answer['detail']} at {answer['forecast_at']}: {answer['horizon_hours']} h ahead, {level} intervals",
        table(answer["metrics"], METRIC_COLUMNS),
    ]
    for metric in answer["metrics"]:
        points = Table(title=f"{metric['metric']} ({metric['workflow_id'] or 'tenant'})", show_edge=False)
        for column in ("hour", "mean", f"{level} interval"):
            points.add_column(column)
        for point in metric["points"][:SHOWN_POINTS]:
            points.add_row(point["timestamp"], f"{point['mean']:.2f}", f"{point['lower']:.2f} .. {point['upper']:.2f}")
        parts.append(points)
    parts += [
        f"quota warning: {w['quota']} ({w['limit']}) reached at {w['reached_at']}" for w in answer["quota_warnings"]
    ]
    return Group(*parts)
