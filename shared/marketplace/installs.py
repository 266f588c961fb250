"""Installing a verified version into the caller's tenant.

A workflow template becomes a draft workflow: each `{{parameter}}` in its strings filled with the caller's value (a
string that is only the placeholder takes the value's JSON type), and each credential it names mapped to the
tenant's credential (missing ones are listed, the draft is still made). Agents, connectors and MCP server listings
are not installable yet (422 naming /namespace).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from shared.marketplace.manifests import NAME_PATTERN, SEMVER_PATTERN, WorkflowTemplateManifest, parse_manifest
from shared.marketplace.publishing import verified_version
from shared.problems import InvalidParam, ValidationFailed
from shared.store.context import TenantContext
from shared.store.credentials import Credentials
from shared.store.marketplace import InstallItem, Installs
from shared.workflows.service import TenantWorkflows

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")


class InstallRequest(BaseModel):
    namespace: str = Field(pattern=NAME_PATTERN)
    name: str = Field(pattern=NAME_PATTERN)
    version: str = Field(pattern=SEMVER_PATTERN, max_length=64)
    parameters: dict[str, Any] = Field(default_factory=dict, max_length=50, description="Template parameter values")
    credentials: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="The item's credential name → the tenant's credential that stands for it (default: same name)",
    )


class Install(BaseModel):
    install_id: str
    namespace: str
    name: str
    version: str
    kind: str
    workflow_id: str | None
    missing_credentials: list[str] = Field(description="Credentials the tenant must create before a run succeeds")
    installed_at: datetime


def _install_view(item: InstallItem) -> Install:
    return Install(
        install_id=item.install_id,
        namespace=item.namespace,
        name=item.name,
        version=item.version,
        kind=item.kind,
        workflow_id=item.workflow_id,
        missing_credentials=list(item.missing_credentials),
        installed_at=item.installed_at,
    )


def _parameter_values(manifest: WorkflowTemplateManifest, given: dict[str, Any]) -> dict[str, Any]:
    import jsonschema_rs

    values: dict[str, Any] = {}
    problems = [
        InvalidParam(name=f"/parameters/{name}", reason="is not a parameter of the template")
        for name in sorted(set(given) - {parameter.name for parameter in manifest.parameters})
    ]
    for parameter in manifest.parameters:
        value = given.get(parameter.name, parameter.default)
        if value is None and parameter.required:
            problems.append(InvalidParam(name=f"/parameters/{parameter.name}", reason="is required"))
        elif value is not None and not jsonschema_rs.validator_for(parameter.json_schema).is_valid(value):
            problems.append(
                InvalidParam(name=f"/parameters/{parameter.name}", reason="does not match the parameter's schema")
            )
        values[parameter.name] = value
    if problems:
        raise ValidationFailed(problems)
    return values


def filled(value: Any, parameters: dict[str, Any], credentials: dict[str, str]) -> Any:
    """`value` with its `{{parameter}}` placeholders filled and its `credential` references mapped."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole is not None and whole[1] in parameters:
            return parameters[whole[1]]
        return _PLACEHOLDER.sub(lambda match: str(parameters.get(match[1], match[0])), value)
    if isinstance(value, list):
        return [filled(item, parameters, credentials) for item in value]
    if isinstance(value, dict):
        return {
            key: credentials.get(item, item)
            if key == "credential" and isinstance(item, str)
            else filled(item, parameters, credentials)
            for key, item in value.items()
        }
    return value


def install_item(tenant: TenantContext, actor: str, request: InstallRequest) -> Install:
    manifest_document, _ = verified_version(request.namespace, request.name, request.version)
    manifest = parse_manifest(manifest_document)
    if not isinstance(manifest, WorkflowTemplateManifest):
        raise ValidationFailed(
            [InvalidParam(name="/namespace", reason=f"installing a {manifest.kind} is not supported yet")]
        )
    parameters = _parameter_values(manifest, request.parameters)
    mapping = {
        required.name: request.credentials.get(required.name, required.name) for required in manifest.credentials
    }
    tenant_credentials = Credentials(tenant)
    missing = sorted(name for name in mapping.values() if tenant_credentials.get(name) is None)
    workflow = TenantWorkflows(tenant, actor).create(filled(manifest.workflow, parameters, mapping))
    installs = Installs(tenant)
    install_id = uuid.uuid4().hex
    item = installs.new(
        install_id,
        install_id=install_id,
        namespace=request.namespace,
        name=request.name,
        version=request.version,
        kind=manifest.kind,
        workflow_id=workflow.id,
        missing_credentials=missing,
        installed_at=datetime.now(UTC),
        installed_by=actor,
    )
    installs.create(item)
    return _install_view(item)
