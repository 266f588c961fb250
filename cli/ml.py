"""`forge ml jobs`: start an ML job, list and read jobs, and watch one with a progress bar until it ends."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
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
        # Shown from the first read on: a job that had already ended was first drawn at 0.0%.
        task = progress.add_task(label, total=100, visible=False)
        while True:
            progress.update(
                task,
                visible=True,
                completed=job.get("progress_percent") or 0,
                description=_progress_line(label, job, ongoing),
            )
            if job["status"] not in ongoing:
                return job
            time.sleep(WATCH_POLL_SECONDS)
            job = read()


def _progress_line(label: str, job: dict[str, Any], ongoing: set[str]) -> str:
    if job["status"] in ongoing:
        return f"{label} {job.get('training_status') or job['status']} ${job['cost_usd']:.2f}"
    return f"{label} {job['status']}"


@ml.group("series", cls=ForgeGroup)
def series() -> None:
    """The hourly series the ML jobs train on (ml_export writes them every hour)."""


@series.command("sample")
@click.option("--tenant", "tenant_id", required=True, help="The tenant's id.")
@click.option("--workflow", "workflow_id", help="One of its workflows' ids: a series of its own too.")
@click.option("--days", type=click.IntRange(4, 28), default=4, show_default=True, help="Days of hours, up to now.")
@click.option("--aws-url", default="http://127.0.0.1:4566", show_default=True, help="forge dev's AWS emulation.")
def sample_series(tenant_id: str, workflow_id: str | None, days: int, aws_url: str) -> None:
    """forge dev only: a generated history of the tenant's hourly executions, so a forecast job has days to learn
    from on a platform started minutes ago."""
    import boto3

    from devserver.emulation import LOCAL_REGION, local_environment, physical_names
    from devserver.workload_series import write_sample_history
    from shared.resources import PAYLOADS_BUCKET

    emulation = local_environment(aws_url)
    s3 = boto3.client(
        "s3",
        endpoint_url=aws_url,
        region_name=LOCAL_REGION,
        aws_access_key_id=emulation["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=emulation["AWS_SECRET_ACCESS_KEY"],
    )
    bucket = physical_names()[PAYLOADS_BUCKET.env_var]
    hours = write_sample_history(s3, bucket, tenant_id, workflow_id, days=days, end=datetime.now(UTC))
    emit({"hours": hours, "bucket": bucket}, lambda r: f"wrote {r['hours']} hours of series to {r['bucket']}")
