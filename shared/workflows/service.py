"""Workflows of a tenant: drafts, validation, publishing to Step Functions, versions, rollback, export/import.

Running a published workflow is the executions feature's (shared/executions/start.py): records, quotas, triggers.
What the API reads and answers is in api.py, the workflow's state machine in Step Functions in state_machines.py:
this module holds the rules between them.

Nothing reaches AWS or the table before the workflow validated; every lookup goes through the tenant's repository,
so another tenant's workflow simply does not exist here.

A version whose trigger node is `schedule` has the workflow's trigger schedule follow it: publishing or rolling back
to it creates or updates that schedule, to another trigger deletes it. It is written first, so a schedule Scheduler
refuses is a 422 with nothing else changed; a later failure leaves it ahead of the live version until the request
is retried. Deleting a workflow deletes its triggers first (schedules, webhook endpoints) and its own item last, so
nothing starts it while it goes and a retried delete finds it and finishes.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pynamodb.exceptions import UpdateError

from shared.agents.tools.format_names import ToolFormatName
from shared.problems import Conflict, InvalidParam, NotFound, ValidationFailed
from shared.store.tenant_scoped import TenantContext
from shared.store.triggers import Hooks
from shared.store.workflows import (
    WorkflowItem,
    Workflows,
    WorkflowVersionItem,
    WorkflowVersions,
    pack,
    unpack,
    version_key,
)
from shared.triggers.schedules.service import (
    TriggerSchedule,
    delete_workflow_schedules,
    put_trigger_schedule,
    remove_trigger_schedule,
)
from shared.workflows.api import (
    PublishRequest,
    RollbackRequest,
    ValidationReport,
    VersionDetail,
    VersionList,
    Workflow,
    WorkflowExport,
    WorkflowPage,
    WorkflowSummary,
    summary_of,
    version_detail_of,
    version_summary_of,
    workflow_of,
)
from shared.workflows.compiler import Finding
from shared.workflows.cost import AssumedTokens, estimate_cost, with_model_costs
from shared.workflows.diff import WorkflowDiff, diff_workflows
from shared.workflows.marketplace_items import items_of_workflow
from shared.workflows.nodes.base import CompileTarget
from shared.workflows.nodes.schedule import NODE_TYPE as SCHEDULE_TRIGGER
from shared.workflows.state_machines import (
    delete_state_machine,
    deploy,
    placement,
    point_live_alias,
    running_executions,
    state_machine_present,
)
from shared.workflows.test_runs import DraftRun, DraftRunRequest, run_draft
from shared.workflows.validation import ValidationResult, validate_workflow


class TenantWorkflows:
    """The workflow operations of one tenant on behalf of one caller."""

    def __init__(self, tenant: TenantContext, actor: str) -> None:
        self.tenant = tenant
        self.actor = actor
        self.workflows = Workflows(tenant)

    # -- validation ---------------------------------------------------------------------------------------------

    def _subworkflow_arn(self, workflow_id: str, version: int | None) -> str | None:
        item = self.workflows.get(workflow_id)
        if item is None:
            return None
        if version is None:
            return placement().alias_arn(workflow_id) if item.live_version else None
        found = WorkflowVersions(self.tenant, workflow_id).get_version(version)
        return found.state_machine_version_arn if found else None

    def target(self, workflow_id: str) -> CompileTarget:
        return placement().compile_target(self.tenant.tenant_id, workflow_id, self._subworkflow_arn)

    def check(self, document: dict[str, Any], workflow_id: str) -> ValidationResult:
        result = validate_workflow(document, self.target(workflow_id))
        error_workflow = result.graph.settings.error_workflow_id if result.graph is not None else None
        if error_workflow and self._subworkflow_arn(error_workflow, None) is None:
            result.findings.append(
                Finding("/settings/error_workflow_id", f"no published workflow {error_workflow!r} in this tenant")
            )
            result.definition = None
        result.raise_for_findings()
        return result

    def validate(self, document: dict[str, Any], workflow_id: str = "unsaved") -> ValidationReport:
        definition = self.check(document, workflow_id).definition
        assert definition is not None
        return ValidationReport(
            states=_count_states(definition),
            definition_bytes=len(json.dumps(definition, separators=(",", ":")).encode()),
            cost=estimate_cost(definition, document),
        )

    def validate_saved(self, workflow_id: str) -> ValidationReport:
        return self.validate(unpack(self._get(workflow_id).draft), workflow_id)

    def test_run(self, workflow_id: str, request: DraftRunRequest) -> DraftRun:
        """Runs the draft as it is now, validated and compiled as a publish would, on its own test machine."""
        definition = self.check(unpack(self._get(workflow_id).draft), workflow_id).definition
        assert definition is not None
        return run_draft(self.tenant, workflow_id, definition, request)

    # -- drafts -------------------------------------------------------------------------------------------------

    def create(
        self, document: dict[str, Any], *, marketplace_item: str | None = None, marketplace_version: str | None = None
    ) -> Workflow:
        """`marketplace_item` (`<ns>/<name>`) and its version: the template an install made this draft from."""
        workflow_id = uuid.uuid4().hex
        result = self.check(document, workflow_id)
        now = datetime.now(UTC)
        item = self.workflows.new(
            workflow_id,
            workflow_id=workflow_id,
            name=_document(result)["name"],
            draft=pack(_document(result)),
            created_at=now,
            updated_at=now,
            created_by=self.actor,
            marketplace_item=marketplace_item,
            marketplace_version=marketplace_version,
        )
        self.workflows.create(item)
        return workflow_of(item)

    def get(self, workflow_id: str) -> Workflow:
        return workflow_of(self._get(workflow_id))

    def list_page(self, limit: int, cursor: str | None) -> WorkflowPage:
        page = self.workflows.page(limit=limit, cursor=cursor)
        return WorkflowPage(items=[summary_of(item) for item in page.items], next_cursor=page.next_cursor)

    def update(
        self,
        workflow_id: str,
        document: dict[str, Any],
        expected_revision: int | None,
        *,
        marketplace_version: str | None = None,
    ) -> Workflow:
        """`marketplace_version`: the template's version an install's update brought the draft to."""
        item = self._get(workflow_id)
        result = self.check(document, workflow_id)
        if expected_revision is not None and expected_revision != item.revision:
            raise Conflict(f"The draft is at revision {item.revision}, not {expected_revision}; reload and retry")
        previous = item.revision
        document = _document(result)
        # Only the draft's attributes: a publish or rollback finishing meanwhile keeps what it wrote.
        with _conflict_unless_met(f"The draft changed while saving (it was at revision {previous}); reload and retry"):
            item.update(
                actions=[
                    WorkflowItem.draft.set(pack(document)),
                    WorkflowItem.name.set(document["name"]),
                    WorkflowItem.revision.set(previous + 1),
                    WorkflowItem.updated_at.set(datetime.now(UTC)),
                    *([WorkflowItem.marketplace_version.set(marketplace_version)] if marketplace_version else []),
                ],
                condition=WorkflowItem.revision == previous,
            )
        return workflow_of(item)

    def delete(self, workflow_id: str, force: bool) -> None:
        item = self._get(workflow_id)
        running = running_executions(item.state_machine_arn) if item.state_machine_arn else []
        if running and not force:
            raise Conflict(
                f"{len(running)} execution(s) of this workflow are running; wait, or delete with ?force=true",
                running_executions=len(running),
            )
        delete_workflow_schedules(self.tenant, workflow_id)
        hooks = Hooks(self.tenant)
        for hook in hooks.of_workflow(workflow_id):
            hooks.delete(hook)
        if item.state_machine_arn:
            delete_state_machine(item.state_machine_arn, stopping=running)
        versions = WorkflowVersions(self.tenant, workflow_id)
        for _pk, sort_key in versions.all_keys():
            version = versions.get(sort_key)
            if version is not None:
                versions.delete(version)
        self.workflows.delete(item)

    def export(self, workflow_id: str) -> WorkflowExport:
        return WorkflowExport(workflow=unpack(self._get(workflow_id).draft))

    def as_tool(self, workflow_id: str, tool_format: ToolFormatName) -> dict[str, Any]:
        """The draft as a tool description in `tool_format`; every format holds all of it (docs/tools.md)."""
        # The converters' models cost this function's cold start about 40 ms; only this route needs them.
        from shared.agents.tools.convert import write_tool
        from shared.agents.tools.workflow_tool import workflow_tool

        tool, dropped = write_tool(workflow_tool(unpack(self._get(workflow_id).draft)), tool_format)
        assert dropped == []
        return tool

    def import_workflow(self, exported: WorkflowExport) -> Workflow:
        return self.create(exported.workflow)

    # -- versions -----------------------------------------------------------------------------------------------

    def publish(self, workflow_id: str, request: PublishRequest) -> VersionDetail:
        item = self._get(workflow_id)
        document = unpack(item.draft)
        definition = self.check(document, workflow_id).definition
        assert definition is not None
        with _version_change(item):
            return self._publish(item, document, definition, request)

    def _publish(
        self, item: WorkflowItem, document: dict[str, Any], definition: dict[str, Any], request: PublishRequest
    ) -> VersionDetail:
        workflow_id = item.workflow_id
        version = int(item.latest_version) + 1
        self._follow_trigger(item, document, version)
        with state_machine_present(item):
            state_machine_arn, version_arn = deploy(self.tenant, item, definition, document, f"v{version}")
            point_live_alias(workflow_id, version_arn, exists=item.live_version is not None)
        published = WorkflowVersions(self.tenant, workflow_id).new(
            version_key(version),
            workflow_id=workflow_id,
            version=version,
            definition=pack(document),
            asl=pack(definition),
            cost=estimate_cost(definition, document).model_dump(mode="json"),
            state_machine_version_arn=version_arn,
            note=request.note,
            published_at=datetime.now(UTC),
            published_by=self.actor,
            marketplace_items=items_of_workflow(item.marketplace_item, document) or None,
        )
        WorkflowVersions(self.tenant, workflow_id).create(published)
        item.update(
            actions=[
                WorkflowItem.latest_version.set(version),
                WorkflowItem.live_version.set(version),
                WorkflowItem.state_machine_arn.set(state_machine_arn),
                WorkflowItem.version_change_until.remove(),
            ],
            condition=WorkflowItem.latest_version == version - 1,
        )
        return version_detail_of(published, live=True)

    def versions(self, workflow_id: str, limit: int, cursor: str | None) -> VersionList:
        item = self._get(workflow_id)
        page = WorkflowVersions(self.tenant, workflow_id).page(limit=limit, cursor=cursor, newest_first=True)
        return VersionList(
            items=[version_summary_of(version, version.version == item.live_version) for version in page.items],
            next_cursor=page.next_cursor,
        )

    def version(self, workflow_id: str, version: int, tokens: AssumedTokens | None = None) -> VersionDetail:
        """The version; its agent nodes' model cost at `tokens` per node and execution (the defaults without)."""
        item = self._get(workflow_id)
        detail = version_detail_of(self._get_version(workflow_id, version), live=version == item.live_version)
        detail.cost = with_model_costs(detail.cost, detail.definition, tokens or AssumedTokens())
        return detail

    def diff(self, workflow_id: str, before: int | None, after: int | None) -> WorkflowDiff:
        """From a version (the live one when None) to another version (the draft when None)."""
        item = self._get(workflow_id)
        if before is None and item.live_version is None:
            raise Conflict("The workflow has no live version to compare with; name one with ?from=")
        old = unpack(self._get_version(workflow_id, before or int(item.live_version)).definition)
        new = unpack(self._get_version(workflow_id, after).definition) if after else unpack(item.draft)
        return diff_workflows(old, new)

    def rollback(self, workflow_id: str, request: RollbackRequest) -> WorkflowSummary:
        item = self._get(workflow_id)
        target = self._get_version(workflow_id, request.version)
        with _version_change(item):
            self._follow_trigger(item, unpack(target.definition), request.version)
            with state_machine_present(item):
                point_live_alias(workflow_id, target.state_machine_version_arn, exists=True)
            item.update(
                actions=[
                    WorkflowItem.live_version.set(request.version),
                    WorkflowItem.updated_at.set(datetime.now(UTC)),
                    WorkflowItem.version_change_until.remove(),
                ]
            )
        return summary_of(item)

    # -- helpers ------------------------------------------------------------------------------------------------

    def _follow_trigger(self, item: WorkflowItem, document: dict[str, Any], version: int) -> None:
        """The trigger schedule as the version about to go live asks: kept for a schedule trigger, else deleted."""
        trigger = _schedule_trigger(document, item, version)
        if trigger is None:
            remove_trigger_schedule(self.tenant, item.workflow_id)
        else:
            put_trigger_schedule(self.tenant, trigger, self.actor)

    def _get(self, workflow_id: str) -> WorkflowItem:
        item = self.workflows.get(workflow_id, consistent=True)
        if item is None:
            raise NotFound(f"No workflow {workflow_id!r}")
        return item

    def _get_version(self, workflow_id: str, version: int) -> WorkflowVersionItem:
        found = WorkflowVersions(self.tenant, workflow_id).get_version(version)
        if found is None:
            raise NotFound(f"Workflow {workflow_id!r} has no version {version}")
        return found


VERSION_CHANGE_LEASE_SECONDS = 60


@contextmanager
def _conflict_unless_met(detail: str) -> Iterator[None]:
    """A write whose condition failed (someone else's write came first) is a 409 problem saying `detail`."""
    try:
        yield
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(detail) from None
        raise


@contextmanager
def _version_change(item: WorkflowItem) -> Iterator[None]:
    """One publish or rollback of a workflow at a time, taken before anything reaches AWS: a lease on its item,
    which the change's last write removes; a change that fails gives it back, one that dies lets it lapse."""
    now = time.time()
    until = now + VERSION_CHANGE_LEASE_SECONDS
    with _conflict_unless_met("Another publish or rollback of this workflow is in progress; retry when it has ended"):
        item.update(
            actions=[WorkflowItem.version_change_until.set(until)],
            condition=WorkflowItem.version_change_until.does_not_exist() | (WorkflowItem.version_change_until < now),
        )
    try:
        yield
    except BaseException:
        with suppress(UpdateError):  # lapsed and taken by another change: not ours to give back
            item.update(
                actions=[WorkflowItem.version_change_until.remove()],
                condition=WorkflowItem.version_change_until == until,
            )
        raise


def _schedule_trigger(document: dict[str, Any], item: WorkflowItem, version: int) -> TriggerSchedule | None:
    """The schedule its `schedule` trigger node asks for (None for another trigger). The params are checked again:
    a version published before a check existed may be rolled back to; what Scheduler would refuse is a 422."""
    for position, node in enumerate(document.get("nodes") or []):
        if node.get("type") != SCHEDULE_TRIGGER.type:
            continue
        pointer = f"/nodes/{position}/params"
        try:
            params = SCHEDULE_TRIGGER.params_model.model_validate(node.get("params") or {})
        except ValidationError as error:
            invalid = [
                InvalidParam(name="/".join([pointer, *map(str, problem["loc"])]), reason=problem["msg"])
                for problem in error.errors()
            ]
            raise ValidationFailed(invalid, detail=f"Version {version}'s schedule trigger can't be scheduled") from None
        return TriggerSchedule(
            workflow_id=item.workflow_id,
            workflow_version=version,
            name=item.name,
            expression=params.expression,
            timezone=params.timezone,
            pointer=pointer,
        )
    return None


def _document(result: ValidationResult) -> dict[str, Any]:
    assert result.graph is not None
    return result.graph.model_dump(mode="json", by_alias=True, exclude_none=True)


def _count_states(scope: dict[str, Any]) -> int:
    total = 0
    for state in scope["States"].values():
        total += 1
        for inner in [*state.get("Branches", []), *([state["ItemProcessor"]] if "ItemProcessor" in state else [])]:
            total += _count_states(inner)
    return total
