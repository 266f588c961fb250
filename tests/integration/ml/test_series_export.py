"""The training-data export: execution records → hourly series under each tenant's own prefix in the bucket."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import boto3

from devserver.lambda_runtime import LocalLambdaRuntime
from shared.ml.series import export_hour, series_key
from shared.settings import get_settings
from shared.store.context import TenantContext
from shared.store.workflows import Workflows
from tests.integration.ml.conftest import add_execution, new_tenant

HOUR = datetime(2026, 12, 5, 14, tzinfo=UTC)


def _rows(bucket: str, key: str) -> dict[str, float]:
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return {row["series"]: float(row["value"]) for row in csv.DictReader(io.StringIO(body))}


def _all_keys(bucket: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="ml/series/")
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


def test_an_hour_becomes_tenant_and_workflow_series_under_the_tenants_own_prefix(
    emulated_aws: LocalLambdaRuntime,
) -> None:
    bucket = get_settings().require("bucket_payloads")
    alpha, beta = new_tenant("alpha"), new_tenant("beta")
    for minute, duration in ((1, 100), (10, 200), (20, 300), (30, 400)):
        add_execution(alpha, "wf-orders", HOUR + timedelta(minutes=minute), duration_ms=duration, tokens=10)
    add_execution(alpha, "wf-orders", HOUR + timedelta(minutes=40), status="FAILED", duration_ms=500)
    add_execution(alpha, "wf-orders", HOUR + timedelta(hours=1, minutes=1))  # the next hour
    add_execution(beta, "wf-mail", HOUR + timedelta(minutes=5), status="TIMED_OUT", duration_ms=900)

    written = export_hour(bucket, HOUR + timedelta(minutes=59))

    assert set(written) == {alpha, beta}
    rows = _rows(bucket, series_key(alpha, HOUR))
    assert rows[f"{alpha}:executions"] == 5
    assert rows[f"{alpha}:failures"] == 1
    assert rows[f"{alpha}:wf-orders:p50_duration_ms"] == 300
    assert rows[f"{alpha}:wf-orders:p95_duration_ms"] == 500
    assert rows[f"{alpha}:tokens"] == 40
    assert series_key(alpha, HOUR) == f"ml/series/tenant={alpha}/date=2026-12-05/hour=14.csv"
    # Isolation: every series in a tenant's object is its own, and each tenant's objects are under its prefix only.
    assert all(series.startswith(f"{alpha}:") for series in rows)
    assert all(series.startswith(f"{beta}:") for series in _rows(bucket, series_key(beta, HOUR)))
    assert _all_keys(bucket) == sorted([series_key(alpha, HOUR), series_key(beta, HOUR)])


def test_a_re_run_of_an_hour_rewrites_the_same_rows(emulated_aws: LocalLambdaRuntime) -> None:
    bucket = get_settings().require("bucket_payloads")
    tenant = new_tenant("rerun")
    add_execution(tenant, "wf-a", HOUR + timedelta(minutes=3))
    export_hour(bucket, HOUR)
    first = _rows(bucket, series_key(tenant, HOUR))

    export_hour(bucket, HOUR)

    assert _rows(bucket, series_key(tenant, HOUR)) == first
    assert _all_keys(bucket) == [series_key(tenant, HOUR)]


def test_a_quiet_hour_still_gives_the_tenant_zeros(emulated_aws: LocalLambdaRuntime) -> None:
    bucket = get_settings().require("bucket_payloads")
    tenant = new_tenant("quiet")

    export_hour(bucket, HOUR)

    assert _rows(bucket, series_key(tenant, HOUR)) == {
        f"{tenant}:executions": 0,
        f"{tenant}:failures": 0,
        f"{tenant}:tokens": 0,
    }


def _add_workflow(tenant_id: str, workflow_id: str, *, live_version: int | None) -> None:
    workflows = Workflows(TenantContext(tenant_id))
    workflows.create(
        workflows.new(
            workflow_id,
            workflow_id=workflow_id,
            name=workflow_id,
            draft=b"{}",
            live_version=live_version,
            created_at=HOUR - timedelta(days=1),
            updated_at=HOUR - timedelta(days=1),
            created_by="owner",
        )
    )


def test_a_live_workflow_without_runs_in_the_hour_gets_zero_counts_not_a_gap(emulated_aws: LocalLambdaRuntime) -> None:
    bucket = get_settings().require("bucket_payloads")
    tenant = new_tenant("gaps")
    _add_workflow(tenant, "wf-nightly", live_version=1)
    _add_workflow(tenant, "wf-draft", live_version=None)
    add_execution(tenant, "wf-nightly", HOUR - timedelta(minutes=30))  # the hour before

    export_hour(bucket, HOUR)

    rows = _rows(bucket, series_key(tenant, HOUR))
    assert {series: value for series, value in rows.items() if ":wf-" in series} == {
        f"{tenant}:wf-nightly:executions": 0,
        f"{tenant}:wf-nightly:failures": 0,
        f"{tenant}:wf-nightly:tokens": 0,
    }
