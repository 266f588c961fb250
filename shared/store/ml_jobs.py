"""ML job records in the platform table: which pipeline execution a job is, who started it and what it may cost."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from shared.resources import PLATFORM_TABLE
from shared.store.cursors import decode_cursor, encode_cursor
from shared.store.tables import model_table_name

ML_JOBS_PARTITION = "PLATFORM#ML_JOBS"
_LIST_SCOPE = "ml-jobs"


class MlJobItem(Model):
    class Meta:
        table_name = model_table_name(PLATFORM_TABLE)

    pk = UnicodeAttribute(hash_key=True, default=ML_JOBS_PARTITION)
    sk = UnicodeAttribute(range_key=True)
    job_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    # The tenant whose data the job trains on and who may see it; None: a platform job (admins only).
    tenant_id = UnicodeAttribute(null=True)
    execution_arn = UnicodeAttribute()
    instance_type = UnicodeAttribute()
    spot = BooleanAttribute()
    hourly_usd = NumberAttribute()
    max_cost_usd = NumberAttribute()
    hyperparameters = JSONAttribute()
    created_at = UTCDateTimeAttribute()


def _sort_key(job_id: str) -> str:
    return f"JOB#{job_id}"


def save_new_job(item: MlJobItem) -> None:
    item.save(condition=MlJobItem.sk.does_not_exist())


def new_job_item(job_id: str, **attributes: Any) -> MlJobItem:
    return MlJobItem(ML_JOBS_PARTITION, _sort_key(job_id), job_id=job_id, **attributes)


def find_job(job_id: str) -> MlJobItem | None:
    try:
        return MlJobItem.get(ML_JOBS_PARTITION, _sort_key(job_id))
    except DoesNotExist:
        return None


def list_jobs(tenant_id: str | None, *, limit: int, cursor: str | None) -> tuple[list[MlJobItem], str | None]:
    """Newest first; a tenant's own jobs only, or every job (tenant_id None: a platform admin's view)."""
    key = {"pk": ML_JOBS_PARTITION, "sk": None}
    last_key = decode_cursor(f"{_LIST_SCOPE}:{tenant_id}", cursor, key) if cursor else None
    results = MlJobItem.query(
        ML_JOBS_PARTITION,
        scan_index_forward=False,
        limit=limit,
        last_evaluated_key=last_key,
        filter_condition=(MlJobItem.tenant_id == tenant_id) if tenant_id else None,
    )
    items = list(results)
    next_key = results.last_evaluated_key
    return items, encode_cursor(f"{_LIST_SCOPE}:{tenant_id}", next_key) if next_key else None


def tenant_jobs(tenant_id: str) -> list[MlJobItem]:
    """Every job trained on the tenant's data (for its purge)."""
    return list(MlJobItem.query(ML_JOBS_PARTITION, filter_condition=MlJobItem.tenant_id == tenant_id))
