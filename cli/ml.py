"""`forge ml jobs`: start an ML job, list and read jobs, and watch one with a progress bar until it ends."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from cli.app import ForgeGroup, console, emit, invocation, json_argument, table

WATCH_POLL_SECONDS = 2.0
JOB_COLUMNS = ["job_id", "kind", "status", "training_status", "instance_type", "cost_usd", "created_at"]


@click.group(cls=ForgeGroup)
def ml() -> None:
    """The platform's ML jobs (platform admins; a tenant's own jobs of the kinds a tenant may start)."""


@ml.group("jobs", cls=ForgeGroup)
def jobs() -> None:
    """ML jobs: each a run of its kind's pipeline (train, gate, register, transform)."""


@jobs.command("start")
@click.argument("kind")
@click.option("--instance-type", help="One of the kind's instance types (its default otherwise).")
@click.option("--hyperparameters", default="{}", help="JSON object of overrides, @file or @-.")
@click.option("--max-cost", "max_cost_usd", type=float, help="Cost cap in USD (the kind's default otherwise).")
@click.option("--on-demand", is_flag=True, help="On-demand instead of managed spot training.")
def start_job(
    kind: str, instance_type: str | None, hyperparameters: str, max_cost_usd: float | None, on_demand: bool
) -> None:
    """Start a job of KIND."""
    body: dict[str, Any] = {"kind": kind, "hyperparameters": json_argument(hyperparameters), "spot": not on_demand}
    if instance_type:
        body["instance_type"] = instance_type
    if max_cost_usd is not None:
        body["max_cost_usd"] = max_cost_usd
    job = invocation().client().post("/v1/ml/jobs", body)
    emit(job, lambda j: f"started {j['job_id']} ({j['kind']} on {j['instance_type']})", quiet=job["job_id"])


@jobs.command("list")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
def list_jobs(limit: int) -> None:
    """The newest jobs first."""
    items = invocation().client().get("/v1/ml/jobs", limit=limit)["items"]
    emit(items, lambda rows: table(rows, JOB_COLUMNS), quiet="\n".join(item["job_id"] for item in items))


@jobs.command("get")
@click.argument("job_id")
def get_job(job_id: str) -> None:
    """A job: status, metrics, cost so far, percent and ETA."""
    job = invocation().client().get(f"/v1/ml/jobs/{job_id}")
    emit(job, quiet=job["status"])


@jobs.command("watch")
@click.argument("job_id")
def watch_job(job_id: str) -> None:
    """Follow a job with a progress bar until it ends; exit 1 unless it succeeded."""
    client = invocation().client()
    job = follow_progress(job_id, lambda: client.get(f"/v1/ml/jobs/{job_id}"), ongoing={"running"})
    emit(job, lambda j: f"{j['job_id']} {j['status']}: {j.get('error') or ''} {j.get('cause') or ''}".strip())
    if job["status"] != "succeeded":
        raise SystemExit(1)


def follow_progress(label: str, read: Callable[[], dict[str, Any]], ongoing: set[str]) -> dict[str, Any]:
    """Reads a job (its status, progress_percent, training_status, cost_usd) every WATCH_POLL_SECONDS while its
    status is ongoing, drawing a progress bar for a person; returns its last state."""
    people = not invocation().as_json and not invocation().quiet
    job = read()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TimeRemainingColumn(),
        console=console,
        disable=not people,
    ) as progress:
        task = progress.add_task(label, total=100)
        while job["status"] in ongoing:
            progress.update(
                task,
                completed=job.get("progress_percent") or 0,
                description=f"{label} {job.get('training_status') or job['status']} ${job['cost_usd']:.2f}",
            )
            time.sleep(WATCH_POLL_SECONDS)
            job = read()
        progress.update(task, completed=job.get("progress_percent") or 0, description=f"{label} {job['status']}")
    return job
