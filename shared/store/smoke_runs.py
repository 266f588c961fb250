"""Smoke-run records in the platform table."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from shared.resources import PLATFORM_TABLE
from shared.store.tables import model_table_name

SMOKE_PARTITION = "PLATFORM#SMOKE"


class SmokeRunItem(Model):
    class Meta:
        table_name = model_table_name(PLATFORM_TABLE)

    pk = UnicodeAttribute(hash_key=True, default=SMOKE_PARTITION)
    sk = UnicodeAttribute(range_key=True)
    run_id = UnicodeAttribute()
    execution_arn = UnicodeAttribute()
    status = UnicodeAttribute()
    input = JSONAttribute()
    output = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    cause = UnicodeAttribute(null=True)
    started_at = UTCDateTimeAttribute()
    stopped_at = UTCDateTimeAttribute(null=True)


def _sort_key(run_id: str) -> str:
    return f"RUN#{run_id}"


def save_new_run(run_id: str, execution_arn: str, run_input: dict[str, object], started_at: datetime) -> SmokeRunItem:
    item = SmokeRunItem(
        SMOKE_PARTITION,
        _sort_key(run_id),
        run_id=run_id,
        execution_arn=execution_arn,
        status="RUNNING",
        input=run_input,
        started_at=started_at,
    )
    item.save(condition=SmokeRunItem.sk.does_not_exist())
    return item


def find_run(run_id: str) -> SmokeRunItem | None:
    try:
        return SmokeRunItem.get(SMOKE_PARTITION, _sort_key(run_id))
    except DoesNotExist:
        return None


def record_outcome(
    item: SmokeRunItem,
    *,
    status: str,
    output: object | None,
    error: str | None,
    cause: str | None,
    stopped_at: datetime | None,
) -> None:
    item.status = status
    item.output = output
    item.error = error
    item.cause = cause
    item.stopped_at = stopped_at
    item.save()
