"""Where a tenant's schedules live in EventBridge Scheduler, from the ARN prefix a function is told."""

from __future__ import annotations

import pytest

from shared.store.context import TenantContext
from shared.triggers.schedules.placement import SchedulerPlacement

TENANT = TenantContext("5f0c2b9e8d7a4c1e9b3f6a2d4e8c0b1a")


def placement(prefix: str) -> SchedulerPlacement:
    return SchedulerPlacement("aws", "eu-west-1", "111122223333", f"{prefix}-sched")


def test_the_names_follow_the_prefix() -> None:
    where = placement("nexus-forge-prod")

    assert where.group_name(TENANT) == f"nexus-forge-prod-sched-{TENANT.tenant_id}"
    assert where.target_arn == "arn:aws:lambda:eu-west-1:111122223333:function:nexus-forge-prod-schedule-fire"
    assert where.role_arn == "arn:aws:iam::111122223333:role/nexus-forge-prod-sched-invoke"
    assert where.dead_letter_arn == "arn:aws:sqs:eu-west-1:111122223333:nexus-forge-prod-schedule-fire-dlq"
    assert where.in_region("us-east-1").target_arn.startswith("arn:aws:lambda:us-east-1:")


@pytest.mark.parametrize(
    "prefix",
    # Environment names have at most 16 characters (infra/config.py); a silo's prefix adds 9.
    ["nexus-forge-staging-euwest-1", "nexus-forge-staging-euwest-1-5f0c2b9e", "nexus-forge-prod-5f0c2b9e"],
    ids=["longest environment", "longest environment's silo", "silo"],
)
def test_a_group_name_never_exceeds_schedulers_64_characters_and_stays_one_per_tenant(prefix: str) -> None:
    where = placement(prefix)
    other = TenantContext("0" * 32)

    name = where.group_name(TENANT)

    assert len(name) <= 64 and name.startswith(f"{prefix}-sched-")
    assert name == where.group_name(TENANT) != where.group_name(other)
