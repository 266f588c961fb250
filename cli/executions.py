"""`forge run` and `forge executions`: start a workflow, follow it node by node, wait for its end, read it."""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from typing import Any

import click
from rich.console import Group, RenderableType
from rich.json import JSON
from rich.markup import escape

from cli.app import ForgeCommand, ForgeGroup, console, emit, invocation, json_argument, table
from cli.workflows import resolve_workflow

WAIT_POLL_SECONDS = 1.0
ENDED = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
EXECUTION_COLUMNS = ["execution_id", "workflow_id", "version", "trigger", "status", "started_at", "duration_ms"]
STEP_COLUMNS = ["node_id", "status", "attempts", "duration_ms", "error"]
STEP_MARKS = {"SUCCEEDED": "[green]✓[/]", "FAILED": "[red]✗[/]"}


@click.command("run", cls=ForgeCommand)
@click.argument("workflow")
@click.option("--input", "input_value", default="{}", help="The execution's input: JSON, @file or @-.")
@click.option("--version", type=int, help="A published version instead of the live one.")
@click.option("--wait", is_flag=True, help="Follow the nodes as they finish and wait for the end.")
def run(workflow: str, input_value: str, version: int | None, wait: bool) -> None:
    """Start WORKFLOW (id or name). Exit 1 when --wait sees it end otherwise than SUCCEEDED."""
    body: dict[str, Any] = {"input": json_argument(input_value)}
    if version is not None:
        body["version"] = version
    started = invocation().client().post(f"/v1/workflows/{resolve_workflow(workflow)}/executions", body)
    if not wait:
        emit(started, lambda e: f"started {e['execution_id']} ({e['status']})", quiet=started["execution_id"])
        return
    _finish(_follow(started["execution_id"]))


def _follow(execution_id: str) -> dict[str, Any]:
    """Prints each node as it finishes (a spinner meanwhile); the ended execution's record."""
    client = invocation().client()
    state = invocation()
    people = not state.as_json and not state.quiet
    with console.status(f"running {execution_id}…", spinner="dots") if people else nullcontext():
        for event in client.events(f"/v1/executions/{execution_id}/events"):
            if people and event.event == "step" and event.data["status"] in STEP_MARKS:
                step = event.data
                took = f"{step['duration_ms']} ms" if step.get("duration_ms") is not None else ""
                error = f"  {escape(step['error'])}" if step.get("error") else ""
                console.print(f"{STEP_MARKS[step['status']]} {escape(step['node_id']):<24} {took}{error}")
    record: dict[str, Any] = client.get(f"/v1/executions/{execution_id}")
    return record


def _finish(record: dict[str, Any]) -> None:
    emit(record, _render_execution, quiet=record["execution_id"])
    if record["status"] != "SUCCEEDED":
        raise SystemExit(1)


def _render_execution(record: dict[str, Any]) -> RenderableType:
    if record["status"] != "SUCCEEDED":
        return escape(f"{record['execution_id']} {record['status']}: {record.get('error')}: {record.get('cause')}")
    return Group(f"{record['execution_id']} SUCCEEDED", JSON(json.dumps(record.get("output"))))


@click.group(cls=ForgeGroup)
def executions() -> None:
    """Executions of your tenant's workflows."""


@executions.command("list")
@click.option("--workflow", help="Only this workflow's (id or name).")
@click.option("--status", type=click.Choice(sorted({*ENDED, "RUNNING", "PENDING_REDRIVE"})))
@click.option("--trigger", type=click.Choice(["manual", "webhook", "schedule", "rerun", "redrive", "error_workflow"]))
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--wait", "wait_seconds", type=float, help="Wait up to this many seconds for one to start.")
def list_executions(
    workflow: str | None, status: str | None, trigger: str | None, limit: int, wait_seconds: float | None
) -> None:
    """The newest executions first; with --wait, exit 1 when none started in time."""
    query = {
        "workflow_id": resolve_workflow(workflow) if workflow else None,
        "status": status,
        "trigger": trigger,
        "limit": limit,
    }
    client = invocation().client()
    deadline = time.monotonic() + (wait_seconds or 0)
    people = not invocation().as_json and not invocation().quiet
    with console.status("waiting for an execution to start…") if people and wait_seconds else nullcontext():
        items = client.get("/v1/executions", **query)["items"]
        while not items and time.monotonic() < deadline:
            time.sleep(WAIT_POLL_SECONDS)
            items = client.get("/v1/executions", **query)["items"]
    emit(items, lambda rows: table(rows, EXECUTION_COLUMNS), quiet="\n".join(i["execution_id"] for i in items))
    if wait_seconds and not items:
        raise SystemExit(1)


@executions.command("get")
@click.argument("execution_id")
def get_execution(execution_id: str) -> None:
    """An execution's record: status, input, output, error."""
    record = invocation().client().get(f"/v1/executions/{execution_id}")
    emit(record, quiet=record["status"])


@executions.command("wait")
@click.argument("execution_id")
def wait_execution(execution_id: str) -> None:
    """Wait for an execution's end, showing its nodes as they finish; exit 1 unless it SUCCEEDED."""
    _finish(_follow(execution_id))


@executions.command("logs")
@click.argument("execution_id")
@click.option("--follow", "-f", is_flag=True, help="Stream the steps until the execution ends.")
def execution_logs(execution_id: str, follow: bool) -> None:
    """The execution's steps: node, status, attempts, duration, error."""
    if follow:
        _follow(execution_id)
    history = invocation().client().get(f"/v1/executions/{execution_id}/history")
    emit(history, lambda h: table(h["steps"], STEP_COLUMNS, title=f"{execution_id} {h['status']}"))


@executions.command("cancel")
@click.argument("execution_id")
def cancel_execution(execution_id: str) -> None:
    """Stop a running execution."""
    summary = invocation().client().post(f"/v1/executions/{execution_id}/cancel")
    emit(summary, lambda s: f"{s['execution_id']}: stop requested (`forge executions wait` sees it end)")


@executions.command("rerun")
@click.argument("execution_id")
@click.option("--wait", is_flag=True, help="Follow the new execution to its end.")
def rerun_execution(execution_id: str, wait: bool) -> None:
    """Start the same workflow version again with the same input."""
    summary = invocation().client().post(f"/v1/executions/{execution_id}/rerun")
    if wait:
        _finish(_follow(summary["execution_id"]))
        return
    emit(summary, lambda s: f"started {s['execution_id']} ({s['status']})", quiet=summary["execution_id"])
