"""The purge of a deleted tenant: everything it left anywhere in the platform, in steps that are safe to repeat. An
operation above the features (shared/operations/): it reaches into each of them.

What goes, in this order:

1. its workflows' state machines (running executions stopped first; DeleteStateMachine takes the machine's versions
   and aliases with it), found from its workflow items, so those stay until their machines are gone;
2. its EventBridge Scheduler group in every region one of its schedules lives in (DeleteScheduleGroup deletes the
   group's schedules), found from its schedule items, so those stay until the groups are gone;
3. its payloads in the payloads bucket (everything under `tenants/<id>/`);
4. its ML data: its hourly series (`ml/series/tenant=<id>/`), its batch transform requests and the forecasts made
   from them (`tenant=<id>.*` under each batch kind's `ml/transform/<kind>/`), and the ML jobs trained on its data
   (their models, checkpoints and records); its quality events go with its partitions (step 6); its custom agent
   models' endpoints (a tuning still running is stopped; their datasets and models are under its payload prefix,
   their records go with its partitions);
5. its API Gateway key;
6. every item of every one of its partitions in every table of shared/resources.py's TABLES: the partitions are
   derived from the registry of tenant-scoped repositories (shared/store/registry.py), a child collection's
   (workflow versions, schedule failures) from its parent's items, children first; a Query per partition and
   BatchWriteItem deletes, never a Scan;
7. a platform-level record that the tenant was purged, its slug, and last its tenant record.

The tenant record says `purging` from the first call until the last step, so a purge that failed or ran out of
its time budget is simply called again and continues where the previous one stopped: every step removes what is
left and treats what is already gone as done.
"""

from __future__ import annotations

import contextlib
import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.exceptions import UpdateError

from shared.agent_models.service import stop_serving
from shared.aws import s3, scheduler, stepfunctions
from shared.executions.payloads import tenant_payload_prefix
from shared.ml.job_kinds import JOB_KINDS
from shared.ml.plans import CHECKPOINTS_PREFIX, MODELS_PREFIX, TRANSFORM_PREFIX
from shared.ml.series import tenant_series_prefix
from shared.problems import Conflict, NotFound
from shared.resources import TABLES
from shared.settings import get_settings
from shared.store import ml_jobs
from shared.store.agent_models import AgentModels
from shared.store.context import tenant_partition
from shared.store.registry import all_repositories, table_of
from shared.store.tables import table_name
from shared.store.tenancy import (
    TENANT_RECORD_KEY,
    PurgedTenantItem,
    TenantItem,
    TenantRecords,
    find_purged,
    find_slug,
)
from shared.store.tenant_scoped import TenantContext, TenantScopedItem, TenantScopedRepository
from shared.store.triggers import Schedules
from shared.store.workflows import Workflows
from shared.tenancy.gateway_keys import delete_tenant_key
from shared.tenancy.tenants import TenantStatus
from shared.triggers.schedules.placement import SchedulerPlacement
from shared.workflows.placement import WorkflowPlacement

# Within the tenants function's 29 s (API Gateway's limit): what is left after this waits for the next call.
PURGE_BUDGET_SECONDS = 20.0
# One call purges a tenant at a time; a call that died without giving its lease back holds it this long at most
# (past the function's timeout).
PURGE_LEASE = timedelta(seconds=45)
# Items read and deleted per round in one partition (BatchWriteItem sends them 25 at a time).
DELETE_PAGE = 500
# DeleteObjects takes at most 1,000 keys.
S3_DELETE_BATCH = 1000

Repository = type[TenantScopedRepository[Any]]


class OutOfTime(Exception):
    """The purge's time budget is spent; the tenant stays `purging` and the next call continues."""


class Budget:
    def __init__(self, seconds: float, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._deadline = clock() + seconds

    def check(self) -> None:
        if self._clock() >= self._deadline:
            raise OutOfTime


class PurgeResult(StrEnum):
    DONE = "done"
    # The time budget ran out: the next call continues.
    MORE = "more"
    # Another call is purging the tenant right now (it holds the lease): the next call continues if it is still due.
    BUSY = "busy"


def start_purge(tenant_id: str, lease: str) -> TenantItem | PurgeResult:
    """Marks a deleted tenant `purging` and takes the purge's lease on it: the tenant record, or DONE (the tenant
    was purged already) or BUSY (another call holds an unexpired lease)."""
    item = TenantRecords(TenantContext(tenant_id)).get(TENANT_RECORD_KEY, consistent=True)
    if item is None:
        if find_purged(tenant_id) is not None:
            return PurgeResult.DONE
        raise NotFound(f"No tenant with id {tenant_id!r}")
    if item.status not in (TenantStatus.DELETED, TenantStatus.PURGING):
        raise Conflict("Delete the tenant before purging it")
    now = datetime.now(UTC)
    free = TenantItem.purge_lease_until.does_not_exist() | (TenantItem.purge_lease_until < now)
    try:
        item.update(
            actions=[
                TenantItem.status.set(TenantStatus.PURGING.value),
                TenantItem.updated_at.set(now),
                TenantItem.purge_lease.set(lease),
                TenantItem.purge_lease_until.set(now + PURGE_LEASE),
            ],
            condition=TenantItem.status.is_in(TenantStatus.DELETED.value, TenantStatus.PURGING.value) & free,
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        current = TenantRecords(TenantContext(tenant_id)).get(TENANT_RECORD_KEY, consistent=True)
        if current is None:
            return PurgeResult.DONE
        if current.status == TenantStatus.PURGING:
            return PurgeResult.BUSY
        raise Conflict("Delete the tenant before purging it") from error
    return item


def _release(item: TenantItem, lease: str) -> None:
    """Gives the lease back (a failed or unfinished call), so the next call need not wait for it to expire."""
    with contextlib.suppress(UpdateError):
        item.update(
            actions=[TenantItem.purge_lease.remove(), TenantItem.purge_lease_until.remove()],
            condition=TenantItem.purge_lease == lease,
        )


def purge_tenant(
    tenant_id: str, *, budget_seconds: float = PURGE_BUDGET_SECONDS, clock: Callable[[], float] = time.monotonic
) -> PurgeResult:
    """Purges a deleted (or purging) tenant as far as its time budget goes; DONE: nothing of it is left."""
    lease = uuid.uuid4().hex
    item = start_purge(tenant_id, lease)
    if isinstance(item, PurgeResult):
        return item
    tenant = TenantContext(tenant_id)
    budget = Budget(budget_seconds, clock)
    try:
        delete_state_machines(tenant, budget)
        delete_schedule_groups(tenant)
        delete_payloads(tenant, budget)
        delete_ml_data(tenant, budget)
        delete_agent_model_endpoints(tenant, budget)
        budget.check()
        delete_tenant_key(tenant_id)
        delete_partitions(tenant, budget)
    except OutOfTime:
        _release(item, lease)
        return PurgeResult.MORE
    except Exception:
        _release(item, lease)
        raise
    PurgedTenantItem(sk=tenant_id, slug=item.slug, purged_at=datetime.now(UTC)).save()
    slug = find_slug(item.slug)
    if slug is not None and slug.tenant_id == tenant_id:
        slug.delete()
    item.delete()
    return PurgeResult.DONE


# -- Step Functions -------------------------------------------------------------------------------------------------


def delete_state_machines(tenant: TenantContext, budget: Budget) -> None:
    """Each of the tenant's workflows' machines, named after the workflow whether or not its item has the ARN yet."""
    arn_prefix = get_settings().workflow_state_machines
    if not arn_prefix:
        return
    placement = WorkflowPlacement.from_arn_prefix(arn_prefix)
    for sort_key in _sort_keys(Workflows.model, tenant_partition(tenant.tenant_id, Workflows.collection)):
        budget.check()
        _delete_state_machine(placement.state_machine_arn(sort_key))


def _delete_state_machine(state_machine_arn: str) -> None:
    """As deleting a workflow with force does: stop its running executions, then delete it (versions, aliases)."""
    try:
        running = stepfunctions.running_executions(state_machine_arn)
    except ClientError as error:
        if _code(error) != "StateMachineDoesNotExist":
            raise
        return
    for execution_arn in running:
        try:
            stepfunctions.stop_execution(execution_arn, error="TenantPurged", cause="the tenant was purged")
        except ClientError as error:
            if _code(error) != "ExecutionDoesNotExist":
                raise
    try:
        stepfunctions.delete_state_machine(state_machine_arn)
    except ClientError as error:
        if _code(error) != "StateMachineDoesNotExist":
            raise


def _code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


# -- EventBridge Scheduler ------------------------------------------------------------------------------------------


def delete_schedule_groups(tenant: TenantContext) -> None:
    """The tenant's group in this region and in every region one of its schedules was created in."""
    if not get_settings().schedule_groups:
        return
    home = SchedulerPlacement.from_settings()
    partition = tenant_partition(tenant.tenant_id, Schedules.collection)
    regions = {home.region} | {schedule.region for schedule in Schedules.model.query(partition, consistent_read=True)}
    for region in sorted(regions):
        elsewhere = None if region == home.region else region
        name = home.in_region(region).group_name(tenant)
        try:
            # Looked up first: a group that is gone (a repeated purge, a tenant without schedules) is done.
            scheduler.get_schedule_group(name, region=elsewhere)
            scheduler.delete_schedule_group(name, region=elsewhere)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceNotFoundException":
                raise


# -- S3 -------------------------------------------------------------------------------------------------------------


def delete_payloads(tenant: TenantContext, budget: Budget) -> None:
    bucket = get_settings().bucket_payloads
    if bucket:
        _delete_keys(bucket, _first_pages(bucket, tenant_payload_prefix(tenant)), budget)


def delete_ml_data(tenant: TenantContext, budget: Budget) -> None:
    bucket = get_settings().bucket_payloads
    if bucket:
        _delete_keys(bucket, _first_pages(bucket, tenant_series_prefix(tenant.tenant_id)), budget)
        own_file = f"tenant={tenant.tenant_id}."
        for kind in JOB_KINDS.values():
            if kind.batch_transform:
                transform = f"{TRANSFORM_PREFIX}/{kind.name}/"
                mine = (key for key in s3.keys_under(bucket, transform) if key.rpartition("/")[2].startswith(own_file))
                _delete_keys(bucket, _batches(mine), budget)
    for job in ml_jobs.tenant_jobs(tenant.tenant_id):
        if bucket:
            for prefix in (MODELS_PREFIX, CHECKPOINTS_PREFIX):
                _delete_keys(bucket, _first_pages(bucket, f"{prefix}/{job.kind}/{job.job_id}/"), budget)
        budget.check()
        job.delete()


def delete_agent_model_endpoints(tenant: TenantContext, budget: Budget) -> None:
    """Each of its tuned models' endpoints, found from their records, so those stay until the endpoints are gone."""
    partition = tenant_partition(tenant.tenant_id, AgentModels.collection)
    for item in AgentModels.model.query(partition, consistent_read=True):
        budget.check()
        stop_serving(item, cause="the tenant was purged")


def _first_pages(bucket: str, prefix: str) -> Iterator[list[str]]:
    """The first keys left under the prefix, again after each batch is deleted, until none is left."""
    while keys := s3.first_keys(bucket, prefix, S3_DELETE_BATCH):
        yield keys


def _batches(keys: Iterator[str]) -> Iterator[list[str]]:
    while batch := list(itertools.islice(keys, S3_DELETE_BATCH)):
        yield batch


def _delete_keys(bucket: str, batches: Iterator[list[str]], budget: Budget) -> None:
    for keys in batches:
        budget.check()
        errors = s3.delete_keys(bucket, keys)
        if errors:
            first = errors[0]
            raise RuntimeError(f"S3 refused to delete {first.get('Key')}: {first.get('Code')} {first.get('Message')}")


# -- DynamoDB -------------------------------------------------------------------------------------------------------


def tenant_repositories() -> list[Repository]:
    """The data layer's repositories, each collection's children before it (their partitions come from its items),
    the tenant record's last; every one in a table of TABLES."""
    tables = {table_name(spec) for spec in TABLES} - {None}
    repositories = [
        repository for repository in all_repositories() if repository.__module__.startswith("shared.store.")
    ]
    for repository in repositories:
        if table_of(repository) not in tables:
            raise RuntimeError(f"{repository.__name__} keeps items in {table_of(repository)!r}, not a table of TABLES")
    return sorted(repositories, key=lambda repository: (repository is TenantRecords, -_depth(repository)))


def delete_partitions(tenant: TenantContext, budget: Budget) -> None:
    """Every item of the tenant in every table, but its record (the purge's last step)."""
    for repository in tenant_repositories():
        if repository is TenantRecords:
            continue
        for partition in list(partitions_of(repository, tenant)):
            delete_partition(repository.model, partition, budget)


def partitions_of(repository: Repository, tenant: TenantContext) -> Iterator[str]:
    if repository.parent is None:
        yield tenant_partition(tenant.tenant_id, repository.collection)
        return
    parent = repository.parent
    for parent_partition in partitions_of(parent, tenant):
        for parent_key in _sort_keys(parent.model, parent_partition):
            yield repository.child_partition(tenant, parent_key)


def delete_partition(model: type[TenantScopedItem], partition: str, budget: Budget) -> None:
    """Rounds of a Query and BatchWriteItem deletes. Only a round with something to delete spends the budget, so a
    call gets further than the last however many partitions are empty already."""
    while True:
        items = list(model.query(partition, attributes_to_get=["pk", "sk"], limit=DELETE_PAGE, consistent_read=True))
        if not items:
            return
        budget.check()
        with model.batch_write() as batch:
            for item in items:
                batch.delete(item)


def _sort_keys(model: type[TenantScopedItem], partition: str) -> list[str]:
    return [item.sk for item in model.query(partition, attributes_to_get=["pk", "sk"], consistent_read=True)]


def _depth(repository: Repository) -> int:
    depth = 0
    while repository.parent is not None:
        repository, depth = repository.parent, depth + 1
    return depth
