"""Installing a verified version into the caller's tenant, updating it to another version, and uninstalling it.

What each kind adds:
- a workflow template: a draft workflow, each `{{parameter}}` in its strings filled with the caller's value (a
  string that is only the placeholder takes the value's JSON type) and each credential it names mapped to the
  tenant's credential;
- an agent: one node preset (`<ns>.<name>.agent`) holding the agent node's parameters, credentials mapped;
- a connector: one node preset per operation (`<ns>.<name>.<operationId>`), compiled to `http_request` with the
  tenant credential by name;
- an MCP server listing: the tenant's MCP server, registered as `POST /v1/mcp-servers` registers one.

Credentials the tenant lacks are listed in `missing_credentials`; the install is made all the same. Each thing an
install adds is recorded with a fingerprint of its content, so uninstall and update leave what the tenant changed.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.agents.mcp.registry import McpServerCreate, register_server
from shared.marketplace.manifests import (
    AGENT_PRESET,
    NAME_PATTERN,
    SEMVER_PATTERN,
    AgentManifest,
    ConnectorManifest,
    Manifest,
    McpServerManifest,
    NodePreset,
    WorkflowTemplateManifest,
    credential_requirements,
    node_preset_id,
    operation_title,
    parse_manifest,
)
from shared.marketplace.publishing import verified_version
from shared.problems import Conflict, InvalidParam, NotFound, ValidationFailed
from shared.store.context import TenantContext
from shared.store.credentials import Credentials
from shared.store.marketplace import InstallItem, Installs, find_listing, find_version
from shared.store.mcp_servers import McpServers
from shared.store.node_presets import NodePresetItem, NodePresets
from shared.store.tenant_scoped import Page
from shared.workflows.diff import diff_workflows
from shared.workflows.service import TenantWorkflows

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}")
INSTALL_ID_PATTERN = r"^[0-9a-f]{32}$"
_INSTALL_ID = re.compile(INSTALL_ID_PATTERN)

AddedKind = Literal["workflow", "node_preset", "mcp_server"]


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


class UpdateRequest(BaseModel):
    version: str = Field(pattern=SEMVER_PATTERN, max_length=64)
    parameters: dict[str, Any] | None = Field(
        default=None, max_length=50, description="A template's parameter values (default: those of the install)"
    )


class Added(BaseModel):
    kind: AddedKind
    id: str = Field(description="The workflow id, node preset id or MCP server id")


class Install(BaseModel):
    install_id: str
    namespace: str
    name: str
    version: str
    kind: str
    workflow_id: str | None
    added: list[Added] = Field(description="What the install added to the tenant")
    credentials: dict[str, str] = Field(description="The item's credential name → the tenant's credential")
    missing_credentials: list[str] = Field(description="Credentials the tenant must create before a run succeeds")
    installed_at: datetime
    updated_at: datetime | None


class InstallPage(BaseModel):
    items: list[Install]
    next_cursor: str | None = None


class UpdatePlan(BaseModel):
    """What updating an install to another version adds, changes and removes, before or after it is applied."""

    install_id: str
    from_version: str
    to_version: str
    added: list[str] = Field(description="Node presets or workflow nodes the new version adds")
    changed: list[str] = Field(description="Node presets, workflow nodes or fields the new version changes")
    removed: list[str] = Field(description="Node presets or workflow nodes the new version no longer has")
    kept: list[Added] = Field(description="What the tenant changed since the install: an update leaves it as it is")


class Uninstalled(BaseModel):
    install_id: str
    removed: list[Added]
    kept: list[Added] = Field(description="What the tenant changed since the install: left in place")


class NodePresetView(BaseModel):
    preset_id: str
    title: str
    node_type: str = Field(description="What a `preset` node of this id compiles to: http_request or agent")
    form_schema: dict[str, Any] = Field(description="The node's `values` as a JSON Schema object")
    source: str = Field(description="<namespace>/<name>@<version> of the install that added it")
    install_id: str


class NodePresetPage(BaseModel):
    items: list[NodePresetView]
    next_cursor: str | None = None


def _install_view(item: InstallItem) -> Install:
    return Install(
        install_id=item.install_id,
        namespace=item.namespace,
        name=item.name,
        version=item.version,
        kind=item.kind,
        workflow_id=item.workflow_id,
        added=[Added(kind=entry["kind"], id=entry["id"]) for entry in item.added],
        credentials=dict(item.credentials),
        missing_credentials=list(item.missing_credentials),
        installed_at=item.installed_at,
        updated_at=item.updated_at,
    )


def fingerprint(content: Any) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


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


def _required_credentials(manifest: Manifest) -> list[str]:
    return [required.name for required in credential_requirements(manifest)]


# -- what each kind adds -----------------------------------------------------------------------------------------


def _connector_template(manifest: ConnectorManifest, preset: NodePreset, mapping: dict[str, str]) -> dict[str, Any]:
    credential = None if manifest.credential is None else mapping[manifest.credential.name]
    return {
        "method": preset.method,
        "server_url": manifest.server_url,
        "path": preset.path,
        "parameters": [parameter.model_dump() for parameter in preset.parameters],
        "has_body": preset.has_body,
        "credential": credential,
    }


def _presets(manifest: Manifest, mapping: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Preset id → {title, node_type, template, form_schema} of an agent or connector version."""
    if isinstance(manifest, AgentManifest):
        agent = filled(manifest.agent, {}, mapping)
        form = {"type": "object", "properties": {"prompt": {"type": "string"}, "system": {"type": "string"}}}
        return {
            node_preset_id(manifest.namespace, manifest.name, AGENT_PRESET): {
                "title": manifest.title,
                "node_type": "agent",
                "template": agent,
                "form_schema": form,
            }
        }
    if isinstance(manifest, ConnectorManifest):
        return {
            node_preset_id(manifest.namespace, manifest.name, preset.operation_id): {
                "title": operation_title(preset),
                "node_type": "http_request",
                "template": _connector_template(manifest, preset, mapping),
                "form_schema": preset.form_schema,
            }
            for preset in manifest.presets
        }
    return {}


def _write_preset(tenant: TenantContext, install_id: str, source: str, preset_id: str, content: dict[str, Any]) -> str:
    presets = NodePresets(tenant)
    item = presets.new(
        preset_id,
        preset_id=preset_id,
        source=source,
        install_id=install_id,
        created_at=datetime.now(UTC),
        **content,
    )
    presets.save(item)
    return fingerprint(content)


def _preset_content(item: NodePresetItem) -> dict[str, Any]:
    return {
        "title": item.title,
        "node_type": item.node_type,
        "template": item.template,
        "form_schema": item.form_schema,
    }


def _mcp_content(tenant: TenantContext, server_id: str) -> dict[str, Any] | None:
    server = McpServers(tenant).get(server_id)
    return None if server is None else {"name": server.name, "url": server.url, "credential": server.credential}


def _workflow_content(workflows: TenantWorkflows, workflow_id: str) -> dict[str, Any] | None:
    try:
        workflow = workflows.get(workflow_id)
    except NotFound:
        return None
    # A tenant that published the draft made it its own, as much as one that edited it.
    return {"definition": workflow.definition, "published": workflow.live_version is not None}


def _current(tenant: TenantContext, actor: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    """What an added thing holds now, None when the tenant removed it."""
    if entry["kind"] == "workflow":
        return _workflow_content(TenantWorkflows(tenant, actor), entry["id"])
    if entry["kind"] == "mcp_server":
        return _mcp_content(tenant, entry["id"])
    item = NodePresets(tenant).get(entry["id"])
    return None if item is None else _preset_content(item)


def _changed_by_tenant(tenant: TenantContext, actor: str, entry: dict[str, Any]) -> bool | None:
    """Whether the tenant changed an added thing since install or update; None when it is gone."""
    current = _current(tenant, actor, entry)
    return None if current is None else fingerprint(current) != entry["fingerprint"]


def _add(
    tenant: TenantContext,
    actor: str,
    install_id: str,
    manifest: Manifest,
    parameters: dict[str, Any],
    mapping: dict[str, str],
) -> list[dict[str, Any]]:
    source = f"{manifest.namespace}/{manifest.name}@{manifest.version}"
    if isinstance(manifest, WorkflowTemplateManifest):
        workflows = TenantWorkflows(tenant, actor)
        workflow = workflows.create(
            filled(manifest.workflow, parameters, mapping),
            marketplace_item=f"{manifest.namespace}/{manifest.name}",
            marketplace_version=manifest.version,
        )
        content = _workflow_content(workflows, workflow.id)
        return [{"kind": "workflow", "id": workflow.id, "fingerprint": fingerprint(content)}]
    if isinstance(manifest, McpServerManifest):
        credential = mapping.get(manifest.name)
        if credential is not None and Credentials(tenant).get(credential) is None:
            credential = None
        server = register_server(
            tenant, McpServerCreate(name=manifest.title, url=manifest.url, credential=credential), actor
        )
        return [
            {
                "kind": "mcp_server",
                "id": server.server_id,
                "fingerprint": fingerprint(_mcp_content(tenant, server.server_id)),
            }
        ]
    return [
        {
            "kind": "node_preset",
            "id": preset_id,
            "fingerprint": _write_preset(tenant, install_id, source, preset_id, content),
        }
        for preset_id, content in _presets(manifest, mapping).items()
    ]


# -- install, list, read -----------------------------------------------------------------------------------------


def install_item(tenant: TenantContext, actor: str, request: InstallRequest) -> Install:
    manifest_document, _ = verified_version(request.namespace, request.name, request.version)
    manifest = parse_manifest(manifest_document)
    installs = Installs(tenant)
    if not isinstance(manifest, WorkflowTemplateManifest):
        existing = _install_of_item(installs, request.namespace, request.name)
        if existing is not None:
            raise Conflict(
                f"{request.namespace}/{request.name} is installed already ({existing.install_id}); update it instead",
                install_id=existing.install_id,
            )
    parameters = (
        _parameter_values(manifest, request.parameters) if isinstance(manifest, WorkflowTemplateManifest) else {}
    )
    mapping = {name: request.credentials.get(name, name) for name in _required_credentials(manifest)}
    tenant_credentials = Credentials(tenant)
    missing = sorted(name for name in set(mapping.values()) if tenant_credentials.get(name) is None)
    install_id = uuid.uuid4().hex
    added = _add(tenant, actor, install_id, manifest, parameters, mapping)
    item = installs.new(
        install_id,
        install_id=install_id,
        namespace=request.namespace,
        name=request.name,
        version=request.version,
        kind=manifest.kind,
        workflow_id=next((entry["id"] for entry in added if entry["kind"] == "workflow"), None),
        missing_credentials=missing,
        added=added,
        credentials=mapping,
        parameters=parameters,
        installed_at=datetime.now(UTC),
        installed_by=actor,
    )
    installs.create(item)
    return _install_view(item)


def _install_of_item(installs: Installs, namespace: str, name: str) -> InstallItem | None:
    matching = installs.all_matching((InstallItem.namespace == namespace) & (InstallItem.name == name))
    return matching[0] if matching else None


def _find_install(tenant: TenantContext, install_id: str) -> InstallItem:
    item = Installs(tenant).get(install_id) if _INSTALL_ID.match(install_id) else None
    if item is None:
        raise NotFound(f"No install {install_id!r}")
    return item


def get_install(tenant: TenantContext, install_id: str) -> Install:
    return _install_view(_find_install(tenant, install_id))


def list_installs(tenant: TenantContext, *, limit: int, cursor: str | None) -> InstallPage:
    page: Page[InstallItem] = Installs(tenant).page(limit=limit, cursor=cursor)
    return InstallPage(items=[_install_view(item) for item in page.items], next_cursor=page.next_cursor)


def list_node_presets(tenant: TenantContext, *, limit: int, cursor: str | None) -> NodePresetPage:
    page: Page[NodePresetItem] = NodePresets(tenant).page(limit=limit, cursor=cursor)
    return NodePresetPage(
        items=[
            NodePresetView(
                preset_id=item.preset_id,
                title=item.title,
                node_type=item.node_type,
                form_schema=item.form_schema,
                source=item.source,
                install_id=item.install_id,
            )
            for item in page.items
        ],
        next_cursor=page.next_cursor,
    )


# -- uninstall ---------------------------------------------------------------------------------------------------


def _remove(tenant: TenantContext, actor: str, entry: dict[str, Any]) -> None:
    if entry["kind"] == "workflow":
        TenantWorkflows(tenant, actor).delete(entry["id"], force=False)
    elif entry["kind"] == "mcp_server":
        server = McpServers(tenant).get(entry["id"])
        if server is not None:
            McpServers(tenant).delete(server)
    else:
        preset = NodePresets(tenant).get(entry["id"])
        if preset is not None:
            NodePresets(tenant).delete(preset)


def uninstall(tenant: TenantContext, actor: str, install_id: str) -> Uninstalled:
    """Removes what the install added, except what the tenant changed since (kept and listed)."""
    item = _find_install(tenant, install_id)
    removed: list[Added] = []
    kept: list[Added] = []
    for entry in item.added:
        changed = _changed_by_tenant(tenant, actor, entry)
        if changed is None:
            continue
        if changed:
            kept.append(Added(kind=entry["kind"], id=entry["id"]))
            continue
        _remove(tenant, actor, entry)
        removed.append(Added(kind=entry["kind"], id=entry["id"]))
    Installs(tenant).delete(item)
    return Uninstalled(install_id=install_id, removed=removed, kept=kept)


# -- update ------------------------------------------------------------------------------------------------------


def _field_changes(before: dict[str, Any], after: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            yield f"{prefix}{key}"


def _version_diff(before: Manifest, after: Manifest, mapping: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """(added, changed, removed) between two versions of one item."""
    if isinstance(before, WorkflowTemplateManifest) and isinstance(after, WorkflowTemplateManifest):
        diff = diff_workflows(before.workflow, after.workflow)
        changed = [f"node {change.id}: {', '.join(change.fields)}" for change in diff.nodes_changed]
        changed += [f"edge {edge['from']} → {edge['to']} added" for edge in diff.edges_added]
        changed += [f"edge {edge['from']} → {edge['to']} removed" for edge in diff.edges_removed]
        changed += [change.field for change in diff.changes]
        return [f"node {node}" for node in diff.nodes_added], changed, [f"node {node}" for node in diff.nodes_removed]
    if isinstance(before, McpServerManifest) and isinstance(after, McpServerManifest):
        tools_before = {tool.name: tool.model_dump() for tool in before.tools}
        tools_after = {tool.name: tool.model_dump() for tool in after.tools}
        changed = [field for field in ("url", "auth_kind", "title") if getattr(before, field) != getattr(after, field)]
        changed += [
            f"tool {name}"
            for name in _field_changes(tools_before, tools_after)
            if name in tools_before and name in tools_after
        ]
        return (
            [f"tool {name}" for name in sorted(set(tools_after) - set(tools_before))],
            changed,
            [f"tool {name}" for name in sorted(set(tools_before) - set(tools_after))],
        )
    presets_before, presets_after = _presets(before, mapping), _presets(after, mapping)
    changed = sorted(
        preset_id
        for preset_id in set(presets_before) & set(presets_after)
        if fingerprint(presets_before[preset_id]) != fingerprint(presets_after[preset_id])
    )
    return sorted(set(presets_after) - set(presets_before)), changed, sorted(set(presets_before) - set(presets_after))


def _target_manifest(item: InstallItem, version: str) -> Manifest:
    if version == item.version:
        raise ValidationFailed([InvalidParam(name="/version", reason=f"the install is at {version} already")])
    return parse_manifest(verified_version(item.namespace, item.name, version)[0])


def _installed_manifest(item: InstallItem) -> Manifest:
    stored = find_version(item.namespace, item.name, item.version)
    if stored is None:
        raise NotFound(f"Version {item.version} of {item.namespace}/{item.name} is gone")
    return parse_manifest(stored.manifest)


def plan_update(tenant: TenantContext, actor: str, install_id: str, version: str | None) -> UpdatePlan:
    """What updating to `version` (default: the latest approved one) would add, change and remove, and what it would
    leave because the tenant changed it; nothing is written."""
    item = _find_install(tenant, install_id)
    if version is None:
        listing = find_listing(item.namespace, item.name)
        if listing is None:
            raise NotFound(f"{item.namespace}/{item.name} has no approved version")
        version = listing.latest_version
    after = _target_manifest(item, version)
    added, changed, removed = _version_diff(_installed_manifest(item), after, dict(item.credentials))
    kept = [
        Added(kind=entry["kind"], id=entry["id"]) for entry in item.added if _changed_by_tenant(tenant, actor, entry)
    ]
    return UpdatePlan(
        install_id=install_id,
        from_version=item.version,
        to_version=version,
        added=added,
        changed=changed,
        removed=removed,
        kept=kept,
    )


def apply_update(tenant: TenantContext, actor: str, install_id: str, request: UpdateRequest) -> UpdatePlan:
    """Moves the install to `request.version` (verified as an install is): what the tenant did not change is
    replaced by the new version's, what it changed is kept; presets the new version no longer has are removed."""
    plan = plan_update(tenant, actor, install_id, request.version)
    item = _find_install(tenant, install_id)
    manifest = _target_manifest(item, request.version)
    kept_ids = {thing.id for thing in plan.kept}
    mapping = {name: item.credentials.get(name, name) for name in _required_credentials(manifest)}
    source = f"{item.namespace}/{item.name}@{request.version}"
    entries: list[dict[str, Any]] = [entry for entry in item.added if entry["id"] in kept_ids]
    if isinstance(manifest, WorkflowTemplateManifest):
        parameters = _parameter_values(manifest, item.parameters if request.parameters is None else request.parameters)
        item.parameters = parameters
        entries += _update_workflow(tenant, actor, item, manifest, parameters, mapping, kept_ids)
    elif isinstance(manifest, McpServerManifest):
        entries += _update_mcp_server(tenant, item, manifest, kept_ids)
    else:
        presets = _presets(manifest, mapping)
        for entry in item.added:
            if entry["id"] not in kept_ids and entry["id"] not in presets:
                _remove(tenant, actor, entry)
        entries += [
            {
                "kind": "node_preset",
                "id": preset_id,
                "fingerprint": _write_preset(tenant, install_id, source, preset_id, content),
            }
            for preset_id, content in presets.items()
            if preset_id not in kept_ids
        ]
    item.version = request.version
    item.added = entries
    item.credentials = mapping
    item.updated_at = datetime.now(UTC)
    Installs(tenant).save(item)
    return plan


def _update_workflow(
    tenant: TenantContext,
    actor: str,
    item: InstallItem,
    manifest: WorkflowTemplateManifest,
    parameters: dict[str, Any],
    mapping: dict[str, str],
    kept_ids: set[str],
) -> list[dict[str, Any]]:
    workflows = TenantWorkflows(tenant, actor)
    updated = []
    for entry in item.added:
        if entry["kind"] != "workflow" or entry["id"] in kept_ids or _workflow_content(workflows, entry["id"]) is None:
            continue
        workflows.update(
            entry["id"],
            filled(manifest.workflow, parameters, mapping),
            expected_revision=None,
            marketplace_version=manifest.version,
        )
        updated.append(
            {
                "kind": "workflow",
                "id": entry["id"],
                "fingerprint": fingerprint(_workflow_content(workflows, entry["id"])),
            }
        )
    return updated


def _update_mcp_server(
    tenant: TenantContext, item: InstallItem, manifest: McpServerManifest, kept_ids: set[str]
) -> list[dict[str, Any]]:
    servers = McpServers(tenant)
    updated = []
    for entry in item.added:
        server = servers.get(entry["id"]) if entry["id"] not in kept_ids else None
        if server is None:
            continue
        if server.url != manifest.url:
            register_check = McpServerCreate(name=manifest.title, url=manifest.url, credential=None)
            _check_mcp_url(tenant, register_check.url)
            server.tools = None
            server.refreshed_at = None
        server.name, server.url = manifest.title, manifest.url
        servers.save(server)
        updated.append(
            {
                "kind": "mcp_server",
                "id": server.server_id,
                "fingerprint": fingerprint(_mcp_content(tenant, server.server_id)),
            }
        )
    return updated


def _check_mcp_url(tenant: TenantContext, url: str) -> None:
    from shared.agents.mcp.address_guard import url_error
    from shared.tenancy.tenant_settings import tenant_allowed_hosts

    reason = url_error(url, tenant_allowed_hosts(tenant.tenant_id))
    if reason is not None:
        raise ValidationFailed([InvalidParam(name="/version", reason=f"the new version's MCP URL: {reason}")])
