"""`forge quality`: a workflow's quality policy, its quality events (waiting for the first when asked), and undoing
what an event's policy did."""

from __future__ import annotations

import time
from typing import Any

import click

from cli.app import ForgeGroup, all_pages, emit, invocation
from cli.workflows import resolve_workflow

WAIT_POLL_SECONDS = 0.5
ACTIONS = ("notify", "pause_triggers", "rollback", "retry_failed")


@click.group(cls=ForgeGroup)
def quality() -> None:
    """Quality control: each workflow's policy, the quality events the detector found and what they did."""


@quality.command("policy")
@click.argument("workflow")
@click.option("--actions", help=f"Comma-separated, among {', '.join(ACTIONS)}.")
@click.option("--canary-executions", type=click.IntRange(10, 1000), help="A new version's canary window.")
def policy(workflow: str, actions: str | None, canary_executions: int | None) -> None:
    """Show WORKFLOW's quality policy, or change it with --actions and --canary-executions."""
    client = invocation().client()
    path = f"/v1/quality/policies/{resolve_workflow(workflow)}"
    answer = client.get(path)
    if actions is not None or canary_executions is not None:
        body = {
            "actions": actions.split(",") if actions is not None else answer["actions"],
            "canary_executions": canary_executions or answer["canary_executions"],
        }
        answer = client.request("PUT", path, json=body)
    emit(answer, lambda p: f"{', '.join(p['actions'])}; canary window of {p['canary_executions']} executions")


@quality.command("events")
@click.argument("workflow", required=False)
@click.option("--wait", is_flag=True, help="Wait until there is one (up to --timeout).")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds --wait waits at most.")
def events(workflow: str | None, wait: bool, timeout: float) -> None:
    """The tenant's quality events (WORKFLOW's only, when given), newest first."""
    params = {"workflow_id": resolve_workflow(workflow)} if workflow else {}
    deadline = time.monotonic() + timeout
    items = all_pages("/v1/quality/events", **params)
    while wait and not items:
        if time.monotonic() > deadline:
            raise click.ClickException(f"no quality event within {timeout:g} s")
        time.sleep(WAIT_POLL_SECONDS)
        items = all_pages("/v1/quality/events", **params)
    emit(
        items,
        lambda rows: "\n".join(_describe(row) for row in rows) or "no quality events",
        quiet="\n".join(item["event_id"] for item in items),
    )


@quality.command("undo")
@click.argument("event_id")
def undo(event_id: str) -> None:
    """Undo what EVENT_ID's policy did (once)."""
    event = invocation().client().post(f"/v1/quality/events/{event_id}/undo")
    emit(event, _describe_undo, quiet=event["event_id"])


def _describe(event: dict[str, Any]) -> str:
    done = "; ".join(
        f"{action['action']} {action['status']}" + (f" ({action['detail']})" if action.get("detail") else "")
        for action in event["actions"]
    )
    undone = f" [undone by {event['undone_by']}]" if event.get("undone_at") else ""
    return f"{event['event_id']} {event['signal']} in version {event['version']}: {done}{undone}"


def _describe_undo(event: dict[str, Any]) -> str:
    results = "; ".join(
        f"{result.get('action')} {result.get('status')}" + (f" ({result['detail']})" if result.get("detail") else "")
        for result in event.get("undo_results") or []
    )
    return f"undone {event['event_id']}: {results or 'nothing to undo'}"
