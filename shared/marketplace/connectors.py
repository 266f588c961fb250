"""A connector from an OpenAPI 3.x document: the document checked by openapi-spec-validator, then one node preset
per operation (its parameters and JSON body as a form schema), its security scheme as a credential kind and its
first server as the base URL. openapi-spec-validator is imported only here (docs/marketplace.md gives its cost)."""

from __future__ import annotations

import re
from typing import Any, cast

from shared.marketplace.manifests import CredentialRequirement, NodePreset, OperationParameter

METHODS = ("get", "post", "put", "patch", "delete", "head")
MAX_VALIDATION_ERRORS = 20
# A schema nested deeper than this through $refs (a recursive one, say) is left open: {} takes any value.
MAX_REF_DEPTH = 8
_OPERATION_ID = re.compile(r"[^A-Za-z0-9_.-]+")


class ConnectorDocumentInvalid(Exception):
    """The document is not a valid OpenAPI 3.x document, or names nothing a connector can call."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def openapi_errors(document: dict[str, Any]) -> list[str]:
    """What the reference validator finds wrong with a 3.x document (at most MAX_VALIDATION_ERRORS), each with its
    place; a 2.0 (Swagger) document or one of no version is one error."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    version = str(document.get("openapi", ""))
    if version.startswith("3.0"):
        validator: Any = OpenAPIV30SpecValidator(document)
    elif version.startswith("3.1"):
        validator = OpenAPIV31SpecValidator(document)
    else:
        return [f"/openapi: a connector needs an OpenAPI 3.0 or 3.1 document, not {version or 'no version'!r}"]
    errors: list[str] = []
    try:
        for error in validator.iter_errors():
            place = "/" + "/".join(str(part) for part in error.path) if getattr(error, "path", None) else ""
            errors.append(f"{place}: {error.message}" if place else str(error.message))
            if len(errors) == MAX_VALIDATION_ERRORS:
                break
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        # The validator walks some parts it has not yet checked the shape of (`responses` as a string, say).
        errors.append(f"the document is not shaped as OpenAPI says ({type(error).__name__}: {error})")
    return errors


def _resolved(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """`node` with the document's local $refs replaced by what they point at."""
    if isinstance(node, list):
        return [_resolved(document, item, depth) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str):
        if depth >= MAX_REF_DEPTH or not reference.startswith("#/"):
            return {}
        target: Any = document
        for part in reference[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        return _resolved(document, target, depth + 1)
    return {key: _resolved(document, value, depth) for key, value in node.items()}


def _credential_kind(scheme: dict[str, Any]) -> str | None:
    """The tenant credential kind that authenticates as the security scheme does (apiKey in a query: none)."""
    scheme_type = scheme.get("type")
    if scheme_type == "http":
        return {"bearer": "bearer", "basic": "basic"}.get(str(scheme.get("scheme", "")).lower())
    if scheme_type in ("oauth2", "openIdConnect"):
        return "bearer"
    if scheme_type == "apiKey" and scheme.get("in") == "header":
        return "api_key_header"
    return None


def _credential(document: dict[str, Any]) -> CredentialRequirement | None:
    schemes = _resolved(document, document.get("components", {}).get("securitySchemes", {}))
    for name, scheme in schemes.items():
        kind = _credential_kind(scheme)
        if kind is not None:
            description = f"{name}: {scheme.get('description', scheme.get('type'))}"[:500]
            return CredentialRequirement.model_validate(
                {"name": _OPERATION_ID.sub("_", name)[:128], "kind": kind, "description": description}
            )
    return None


def _preset(
    document: dict[str, Any], path: str, method: str, operation: dict[str, Any], shared: list[Any]
) -> NodePreset:
    by_place = {
        (p.get("in"), p.get("name")): p for p in _resolved(document, [*shared, *operation.get("parameters", [])])
    }
    parameters = [
        OperationParameter(
            name=str(parameter["name"]),
            location=parameter["in"],
            required=bool(parameter.get("required", parameter["in"] == "path")),
            json_schema=parameter.get("schema", {}),
        )
        for (place, _), parameter in by_place.items()
        if place in ("path", "query", "header")
    ]
    properties: dict[str, Any] = {parameter.name: parameter.json_schema for parameter in parameters}
    required = [parameter.name for parameter in parameters if parameter.required]
    body = _resolved(document, operation.get("requestBody", {}))
    body_schema = body.get("content", {}).get("application/json", {}).get("schema")
    if body_schema is not None:
        properties["body"] = body_schema
        if body.get("required"):
            required.append("body")
    operation_id = operation.get("operationId") or f"{method}_{path}"
    return NodePreset(
        operation_id=_OPERATION_ID.sub("_", str(operation_id)).strip("_")[:128] or method,
        summary=str(operation.get("summary", ""))[:500],
        method=cast(Any, method.upper()),
        path=path,
        parameters=parameters,
        form_schema={"type": "object", "properties": properties, "required": required},
        has_body=body_schema is not None,
    )


def connector_from_openapi(document: dict[str, Any]) -> tuple[str, CredentialRequirement | None, list[NodePreset]]:
    """(server URL, credential requirement, one preset per operation) of a valid OpenAPI 3.x document; raises
    ConnectorDocumentInvalid with every reason otherwise."""
    errors = openapi_errors(document)
    if errors:
        raise ConnectorDocumentInvalid(errors)
    servers = document.get("servers") or []
    server_url = str(servers[0].get("url", "")) if servers else ""
    if not server_url.lower().startswith(("http://", "https://")):
        raise ConnectorDocumentInvalid(["/servers/0/url: a connector needs an absolute http(s) server URL"])
    presets = [
        _preset(document, path, method, operation, item.get("parameters", []))
        for path, item in _resolved_paths(document)
        for method, operation in item.items()
        if method in METHODS
    ]
    if not presets:
        raise ConnectorDocumentInvalid(["/paths: the document has no operation"])
    return server_url, _credential(document), presets


def _resolved_paths(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, _resolved(document, item)) for path, item in document.get("paths", {}).items()]
