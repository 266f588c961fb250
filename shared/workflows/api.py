"""What the workflows API reads and answers: drafts, validation reports, versions, exports, and how a record
reads as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from shared.request_types import PositiveJsonInt
from shared.store.workflows import WorkflowItem, WorkflowVersionItem, unpack
from shared.workflows.cost import CostEstimate
from shared.workflows.schema import workflow_document_outline


class WorkflowSummary(BaseModel):
    id: str
    name: str
    revision: int = Field(description="Increases with every saved change of the draft")
    latest_version: int | None
    live_version: int | None
    created_at: datetime
    updated_at: datetime
    marketplace_item: str | None = Field(
        default=None, description="The marketplace template (`<namespace>/<name>`) an install made this workflow from"
    )
    marketplace_version: str | None = Field(default=None, description="The template's version the install used")


class Workflow(WorkflowSummary):
    definition: dict[str, Any] = Field(description="The draft: name, description, nodes, edges, settings")


class WorkflowPage(BaseModel):
    items: list[WorkflowSummary]
    next_cursor: str | None


class ValidationReport(BaseModel):
    valid: Literal[True] = True
    states: int
    definition_bytes: int
    cost: CostEstimate


class VersionSummary(BaseModel):
    version: int
    live: bool
    note: str | None
    published_at: datetime
    published_by: str
    cost: CostEstimate


class VersionDetail(VersionSummary):
    definition: dict[str, Any]
    asl: dict[str, Any]


class VersionList(BaseModel):
    items: list[VersionSummary]
    next_cursor: str | None


class PublishRequest(BaseModel):
    note: str | None = Field(default=None, max_length=500)


class RollbackRequest(BaseModel):
    version: PositiveJsonInt


class WorkflowExport(BaseModel):
    format: Literal["nexus-forge.workflow/v1"] = "nexus-forge.workflow/v1"
    workflow: Annotated[dict[str, Any], WithJsonSchema(workflow_document_outline())]


def summary_of(item: WorkflowItem) -> WorkflowSummary:
    return WorkflowSummary(
        id=item.workflow_id,
        name=item.name,
        revision=item.revision,
        latest_version=item.latest_version or None,
        live_version=item.live_version,
        created_at=item.created_at,
        updated_at=item.updated_at,
        marketplace_item=item.marketplace_item,
        marketplace_version=item.marketplace_version,
    )


def workflow_of(item: WorkflowItem) -> Workflow:
    return Workflow(**summary_of(item).model_dump(), definition=unpack(item.draft))


def version_summary_of(item: WorkflowVersionItem, live: bool) -> VersionSummary:
    return VersionSummary(
        version=item.version,
        live=live,
        note=item.note,
        published_at=item.published_at,
        published_by=item.published_by,
        cost=CostEstimate.model_validate(item.cost),
    )


def version_detail_of(item: WorkflowVersionItem, live: bool) -> VersionDetail:
    return VersionDetail(
        **version_summary_of(item, live).model_dump(), definition=unpack(item.definition), asl=unpack(item.asl)
    )
