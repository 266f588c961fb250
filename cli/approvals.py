"""`forge approvals`: the pending approvals of `approval` nodes, and their answers."""

from __future__ import annotations

import time
from contextlib import nullcontext
from typing import Any

import click

from cli.app import ForgeGroup, console, emit, invocation, table

APPROVAL_COLUMNS = ["approval_id", "status", "message", "execution_id", "approvers", "expires_at"]
WAIT_POLL_SECONDS = 0.5


@click.group(cls=ForgeGroup)
def approvals() -> None:
    """Approvals that pause an execution until a person answers."""


@approvals.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "approved", "rejected", "expired", "withdrawn"]),
    default="pending",
    show_default=True,
)
@click.option("--execution", "execution_id", help="Only this execution's.")
@click.option("--wait", "wait_seconds", type=float, help="Wait up to this many seconds for one to be recorded.")
def list_approvals(status: str, execution_id: str | None, wait_seconds: float | None) -> None:
    """Approvals, newest first."""
    deadline = time.monotonic() + (wait_seconds or 0)
    people = not invocation().as_json and not invocation().quiet
    with console.status("waiting for an approval to be recorded…") if people and wait_seconds else nullcontext():
        items = _approvals(status, execution_id)
        while not items and time.monotonic() < deadline:
            time.sleep(WAIT_POLL_SECONDS)
            items = _approvals(status, execution_id)
    emit(items, lambda rows: table(rows, APPROVAL_COLUMNS), quiet="\n".join(i["approval_id"] for i in items))
    if wait_seconds and not items:
        raise SystemExit(1)


@approvals.command("get")
@click.argument("approval_id")
def get_approval(approval_id: str) -> None:
    approval = invocation().client().get(f"/v1/approvals/{approval_id}")
    emit(approval, quiet=approval["status"])


@approvals.command("approve")
@click.argument("approval_id")
@click.option("--comment")
def approve(approval_id: str, comment: str | None) -> None:
    """Continue the execution with the node's output."""
    _answer(approval_id, "approve", comment)


@approvals.command("reject")
@click.argument("approval_id")
@click.option("--comment")
def reject(approval_id: str, comment: str | None) -> None:
    """Fail the node with Approval.Rejected."""
    _answer(approval_id, "reject", comment)


def _answer(approval_id: str, decision: str, comment: str | None) -> None:
    body = {"comment": comment} if comment else {}
    approval = invocation().client().post(f"/v1/approvals/{approval_id}/{decision}", body)
    emit(approval, lambda a: f"{a['approval_id']} {a['status']} by {a['answered_by']}", quiet=approval["status"])


def _approvals(status: str, execution_id: str | None) -> list[dict[str, Any]]:
    page = invocation().client().get("/v1/approvals", status=status)
    items: list[dict[str, Any]] = page["items"]
    return [item for item in items if execution_id in (None, item["execution_id"])]
