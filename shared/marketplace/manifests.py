"""An item version's manifest, one model per kind; their JSON Schemas are committed (schemas/) and served.

A manifest is declarative: no field is code the platform runs. A workflow template carries a workflow document the
platform's own validator checks; an agent, an agent node's parameters; a connector, the node presets generated from
its OpenAPI document (an artefact of the version, shared/marketplace/connectors.py); an MCP server listing, its URL,
auth kind and a snapshot of its tools.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
# Semantic Versioning 2.0.0's own regular expression (semver.org), build metadata left out: it would make two
# manifests of one precedence.
SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$"
)
CREDENTIAL_KINDS = ("bearer", "basic", "api_key_header", "custom_headers")
SCHEMAS_DIR = Path(__file__).with_name("schemas")

ItemKind = Literal["workflow_template", "agent", "connector", "mcp_server"]
ITEM_KINDS: tuple[ItemKind, ...] = ("workflow_template", "agent", "connector", "mcp_server")
CredentialKind = Literal["bearer", "basic", "api_key_header", "custom_headers"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _ManifestBase(_Strict):
    namespace: str = Field(pattern=NAME_PATTERN, description="The publisher's namespace")
    name: str = Field(pattern=NAME_PATTERN, description="The item's name inside its namespace")
    version: str = Field(
        pattern=SEMVER_PATTERN, max_length=64, description="Semantic version, immutable once published"
    )
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1, max_length=4_000, description="What search ranks and shows (plain text)")
    license: str = Field(min_length=1, max_length=200, description="An SPDX licence expression, e.g. Apache-2.0")
    categories: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(default_factory=list, max_length=8)
    homepage: str | None = Field(default=None, max_length=2_048)


class CredentialRequirement(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,128}$", description="The credential name the item refers to")
    kind: CredentialKind
    description: str = Field(default="", max_length=500)


class TemplateParameter(_Strict):
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    description: str = Field(default="", max_length=500)
    json_schema: dict[str, Any] = Field(default_factory=dict, description="A JSON Schema the value must satisfy")
    default: Any = None
    required: bool = True


class WorkflowTemplateManifest(_ManifestBase):
    kind: Literal["workflow_template"]
    workflow: dict[str, Any] = Field(description="A workflow document (POST /v1/workflows's body)")
    parameters: list[TemplateParameter] = Field(
        default_factory=list,
        max_length=50,
        description="Values filled in at install into the workflow's `{{parameter}}` placeholders",
    )
    credentials: list[CredentialRequirement] = Field(default_factory=list, max_length=20)


class AgentManifest(_ManifestBase):
    kind: Literal["agent"]
    agent: dict[str, Any] = Field(description="An agent node's parameters (model choices, prompts, tools, schema)")
    credentials: list[CredentialRequirement] = Field(default_factory=list, max_length=20)


class OperationParameter(_Strict):
    name: str = Field(min_length=1, max_length=128)
    location: Literal["path", "query", "header"]
    required: bool = False
    json_schema: dict[str, Any] = Field(default_factory=dict)


class NodePreset(_Strict):
    """One OpenAPI operation as an http_request node: its parameters become the node's form."""

    operation_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,128}$")
    summary: str = Field(default="", max_length=500)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    path: str = Field(min_length=1, max_length=2_048)
    parameters: list[OperationParameter] = Field(default_factory=list, max_length=100)
    form_schema: dict[str, Any] = Field(description="A JSON Schema object of the parameters and the body")
    has_body: bool = False


class ConnectorManifest(_ManifestBase):
    kind: Literal["connector"]
    openapi_artefact: str = Field(
        min_length=1, max_length=200, description="The artefact holding the OpenAPI 3.x document (JSON)"
    )
    server_url: str = Field(max_length=2_048, description="The API's base URL (the document's first server)")
    credential: CredentialRequirement | None = None
    presets: list[NodePreset] = Field(max_length=500, description="Generated from the document, one per operation")


class McpTool(_Strict):
    name: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=4_000)
    input_schema: dict[str, Any] = Field(default_factory=dict)


class McpServerManifest(_ManifestBase):
    kind: Literal["mcp_server"]
    url: str = Field(max_length=2_048)
    auth_kind: Literal["none", "bearer", "api_key_header", "custom_headers"] = "none"
    tools: list[McpTool] = Field(default_factory=list, max_length=200, description="A snapshot of the server's tools")


Manifest = Annotated[
    WorkflowTemplateManifest | AgentManifest | ConnectorManifest | McpServerManifest, Field(discriminator="kind")
]
MANIFEST_MODELS: dict[ItemKind, type[_ManifestBase]] = {
    "workflow_template": WorkflowTemplateManifest,
    "agent": AgentManifest,
    "connector": ConnectorManifest,
    "mcp_server": McpServerManifest,
}
_MANIFEST: TypeAdapter[Manifest] = TypeAdapter(Manifest)
AGENT_PRESET = "agent"


class PresetPreview(BaseModel):
    """A node preset an install adds: an agent's one, a connector's one per operation."""

    preset_id: str
    title: str
    method: str | None = Field(default=None, description="A connector operation's HTTP method")
    path: str | None = Field(default=None, description="A connector operation's path")


def node_preset_id(namespace: str, name: str, key: str) -> str:
    return f"{namespace}.{name}.{key}"


def operation_title(preset: NodePreset) -> str:
    return preset.summary or f"{preset.method} {preset.path}"


def server_url(manifest: Manifest) -> str | None:
    """A connector's API or an MCP server's URL."""
    if isinstance(manifest, ConnectorManifest):
        return manifest.server_url
    return manifest.url if isinstance(manifest, McpServerManifest) else None


def credential_requirements(manifest: Manifest) -> list[CredentialRequirement]:
    """The credentials an install maps to the tenant's (an authenticated MCP server: one named as the item)."""
    if isinstance(manifest, WorkflowTemplateManifest | AgentManifest):
        return list(manifest.credentials)
    if isinstance(manifest, ConnectorManifest):
        return [] if manifest.credential is None else [manifest.credential]
    if manifest.auth_kind == "none":
        return []
    return [CredentialRequirement(name=manifest.name, kind=manifest.auth_kind, description="The MCP server's auth")]


def preset_previews(manifest: Manifest) -> list[PresetPreview]:
    if isinstance(manifest, AgentManifest):
        agent = node_preset_id(manifest.namespace, manifest.name, AGENT_PRESET)
        return [PresetPreview(preset_id=agent, title=manifest.title)]
    if isinstance(manifest, ConnectorManifest):
        return [
            PresetPreview(
                preset_id=node_preset_id(manifest.namespace, manifest.name, preset.operation_id),
                title=operation_title(preset),
                method=preset.method,
                path=preset.path,
            )
            for preset in manifest.presets
        ]
    return []


def parse_manifest(document: Any) -> Manifest:
    """The manifest of a JSON document; pydantic's ValidationError names each bad field."""
    return _MANIFEST.validate_python(document)


def render_schema(kind: ItemKind) -> str:
    """The JSON Schema of a kind's manifest, as committed in schemas/<kind>.schema.json."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:nexus-forge:marketplace:{kind}",
        **MANIFEST_MODELS[kind].model_json_schema(),
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def committed_schema(kind: ItemKind) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS_DIR / f"{kind}.schema.json").read_text())
    return loaded


if __name__ == "__main__":
    for item_kind in ITEM_KINDS:
        (SCHEMAS_DIR / f"{item_kind}.schema.json").write_text(render_schema(item_kind))
