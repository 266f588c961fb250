"""The scan that decides whether a version becomes installable: `approved` with no finding, `rejected` otherwise,
with a report the publisher reads (each finding names its rule and place).

Rules, in order: size limits, the manifest's schema, the SPDX licence, the kind's own content (a template's workflow
through the platform's validator, an agent node's parameters, a connector's OpenAPI document and the presets it
generates, an MCP server's URL), expression limits, secrets in any string (detect-secrets' pattern plugins; its
entropy plugins flag ordinary prose), and every URL against the SSRF rule (shared/ip_addresses.py). RULES_VERSION
changes with the rules; a report of an older version means the version is scanned again (`needs_rescan`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import ValidationError

from shared.ip_addresses import url_refusal
from shared.marketplace.manifests import (
    AgentManifest,
    ConnectorManifest,
    Manifest,
    McpServerManifest,
    WorkflowTemplateManifest,
    parse_manifest,
)

RULES_VERSION = "2026-12-05.1"
MAX_MANIFEST_BYTES = 262_144
MAX_ARTEFACTS = 8
MAX_ARTEFACT_BYTES = 2_097_152
MAX_EXPRESSIONS = 200
MAX_EXPRESSION_CHARS = 2_000
_URL_PREFIXES = ("http://", "https://")
# Pattern plugins only: the entropy ones report most words of a description, IPPublic is the SSRF rule's job.
_NOT_SCANNED_PLUGINS = frozenset({"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"})

Rule = Literal["size", "schema", "licence", "workflow", "agent", "openapi", "expressions", "secrets", "ssrf"]


@dataclass(frozen=True)
class Finding:
    rule: Rule
    pointer: str
    message: str


@dataclass
class ScanReport:
    rules_version: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> Literal["approved", "rejected"]:
        return "rejected" if self.findings else "approved"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "rules_version": self.rules_version,
            "findings": [asdict(finding) for finding in self.findings],
        }


def needs_rescan(report_rules_version: str) -> bool:
    return report_rules_version != RULES_VERSION


def size_findings(manifest_bytes: int, artefact_sizes: Mapping[str, int]) -> list[Finding]:
    """The limits an upload is refused on before anything is stored (and the scan checks again)."""
    findings = []
    if manifest_bytes > MAX_MANIFEST_BYTES:
        findings.append(Finding("size", "/manifest", f"is {manifest_bytes} bytes; at most {MAX_MANIFEST_BYTES}"))
    if len(artefact_sizes) > MAX_ARTEFACTS:
        findings.append(Finding("size", "/artefacts", f"{len(artefact_sizes)} artefacts; at most {MAX_ARTEFACTS}"))
    findings.extend(
        Finding("size", f"/artefacts/{name}", f"is {size} bytes; at most {MAX_ARTEFACT_BYTES}")
        for name, size in sorted(artefact_sizes.items())
        if size > MAX_ARTEFACT_BYTES
    )
    return findings


def scan_version(manifest_document: Any, artefacts: Mapping[str, bytes]) -> ScanReport:
    """The report of one version: every rule's findings at once."""
    report = ScanReport(RULES_VERSION)
    manifest_bytes = len(json.dumps(manifest_document, separators=(",", ":")).encode())
    report.findings.extend(size_findings(manifest_bytes, {name: len(data) for name, data in artefacts.items()}))
    try:
        manifest = parse_manifest(manifest_document)
    except ValidationError as error:
        report.findings.extend(
            Finding("schema", "/" + "/".join(str(part) for part in item["loc"][1:]), item["msg"])
            for item in error.errors()
        )
        return report
    licence = licence_error(manifest.license)
    if licence is not None:
        report.findings.append(Finding("licence", "/license", licence))
    report.findings.extend(_kind_findings(manifest, artefacts))
    report.findings.extend(_expression_findings(manifest_document))
    report.findings.extend(_secret_findings(manifest_document))
    report.findings.extend(_url_findings(manifest_document))
    return report


def licence_error(expression: str) -> str | None:
    """Why `expression` is not an SPDX licence expression of known ids, or None."""
    errors = _spdx().validate(expression, strict=True).errors
    return "; ".join(errors) + " (an SPDX licence id or expression, e.g. Apache-2.0)" if errors else None


@cache
def _spdx() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def _kind_findings(manifest: Manifest, artefacts: Mapping[str, bytes]) -> list[Finding]:
    if isinstance(manifest, WorkflowTemplateManifest):
        return _workflow_findings(manifest)
    if isinstance(manifest, AgentManifest):
        return _agent_findings(manifest)
    if isinstance(manifest, ConnectorManifest):
        return _connector_findings(manifest, artefacts)
    # An MCP server listing's URL is judged with every other URL (_url_findings).
    assert isinstance(manifest, McpServerManifest)
    return []


def _workflow_findings(manifest: WorkflowTemplateManifest) -> list[Finding]:
    from shared.workflows.nodes.base import CompileTarget
    from shared.workflows.validation import validate_workflow

    target = CompileTarget(
        tenant_id="marketplace-scan",
        workflow_id="template",
        function_arn=lambda name: f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
        approvals_queue_url="https://sqs.us-east-1.amazonaws.com/000000000000/approvals",
        subworkflow_arn=lambda workflow_id, version: None,
        mcp_server_tools=lambda server_id: [],
    )
    result = validate_workflow(manifest.workflow, target)
    return [Finding("workflow", f"/workflow{finding.pointer}", finding.reason) for finding in result.findings]


def _agent_findings(manifest: AgentManifest) -> list[Finding]:
    from shared.workflows.nodes.agent import AgentParams

    try:
        AgentParams.model_validate(manifest.agent)
    except ValidationError as error:
        return [
            Finding("agent", "/agent/" + "/".join(str(part) for part in item["loc"]), item["msg"])
            for item in error.errors()
        ]
    return []


def _connector_findings(manifest: ConnectorManifest, artefacts: Mapping[str, bytes]) -> list[Finding]:
    from shared.marketplace.connectors import ConnectorDocumentInvalid, connector_from_openapi

    place = f"/artefacts/{manifest.openapi_artefact}"
    if manifest.openapi_artefact not in artefacts:
        return [Finding("openapi", "/openapi_artefact", "names no artefact of the version")]
    try:
        document = json.loads(artefacts[manifest.openapi_artefact])
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        server_url, credential, presets = connector_from_openapi(document)
    except ValueError as error:
        return [Finding("openapi", place, f"is not a JSON OpenAPI document: {error}")]
    except ConnectorDocumentInvalid as error:
        return [Finding("openapi", place, reason) for reason in error.reasons]
    findings = []
    if server_url != manifest.server_url:
        findings.append(Finding("openapi", "/server_url", f"differs from the document's server ({server_url})"))
    if credential != manifest.credential:
        findings.append(Finding("openapi", "/credential", "differs from the document's security scheme"))
    if presets != manifest.presets:
        findings.append(Finding("openapi", "/presets", "differ from those the document generates"))
    return findings


def _strings(value: Any, pointer: str = "", key: str = "") -> Iterator[tuple[str, str, str]]:
    """(pointer, key, string) of every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield pointer, key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            place = f"{pointer}/{str(name).replace('~', '~0').replace('/', '~1')}"
            yield place, "", str(name)
            yield from _strings(item, place, str(name))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _strings(item, f"{pointer}/{position}", key)


def _expression_findings(document: Any) -> list[Finding]:
    expressions = [(pointer, text) for pointer, _, text in _strings(document) if text.strip().startswith("{%")]
    findings = [
        Finding("expressions", pointer, f"an expression of {len(text)} characters; at most {MAX_EXPRESSION_CHARS}")
        for pointer, text in expressions
        if len(text) > MAX_EXPRESSION_CHARS
    ]
    if len(expressions) > MAX_EXPRESSIONS:
        findings.append(Finding("expressions", "", f"{len(expressions)} expressions; at most {MAX_EXPRESSIONS}"))
    return findings


@cache
def _secret_plugins() -> dict[str, Any]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    plugins: dict[str, Any] = get_mapping_from_secret_type_to_class()
    names = [plugin.__name__ for plugin in plugins.values()]
    return {"plugins_used": [{"name": name} for name in sorted(names) if name not in _NOT_SCANNED_PLUGINS]}


def _secret_findings(document: Any) -> list[Finding]:
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    findings = []
    with transient_settings(_secret_plugins()):
        for pointer, key, text in _strings(document):
            line = f"{json.dumps(key)}: {json.dumps(text)}" if key else json.dumps(text)
            kinds = sorted({secret.type for secret in scan_line(line)})
            if kinds:
                findings.append(Finding("secrets", pointer, f"holds what looks like a secret ({', '.join(kinds)})"))
    return findings


def _url_findings(document: Any) -> list[Finding]:
    findings = []
    for pointer, _, text in _strings(document):
        # A URL with a template parameter is judged when it is requested, filled in (the SSRF guard at run time).
        if text.strip().lower().startswith(_URL_PREFIXES) and "{{" not in text:
            refusal = url_refusal(text.strip(), frozenset())
            if refusal is not None:
                findings.append(Finding("ssrf", pointer, refusal.message))
    return findings
