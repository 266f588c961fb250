"""API Gateway's Lambda authorizer (REQUEST type): tells the gateway which usage plan key meters the request.

The API's `apiKeySource` is AUTHORIZER, so the key this returns as `usageIdentifierKey` decides which usage plan
throttles the request and counts it against a monthly quota: the caller's tenant's (its tier's plan), the platform
admins' or, for credentials that do not authenticate, the anonymous callers'. It allows every request it is asked
about: authentication, the permission table and the per-tenant token bucket stay in the application, which answers
the precise 401, 403 or 429 problem, locally and in the cloud alike.
"""

from __future__ import annotations

from typing import Any

from shared.auth.authenticate import API_KEY_HEADER, authenticate
from shared.auth.errors import Unauthenticated
from shared.auth.principal import Principal
from shared.settings import get_settings
from shared.tenancy.gateway_keys import usage_identifier_key

ANONYMOUS_PRINCIPAL = "anonymous"


def authorize_gateway_request(event: dict[str, Any]) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    principal: Principal | None
    try:
        principal = authenticate(headers.get("authorization"), headers.get(API_KEY_HEADER))
    except Unauthenticated:
        principal = None
    prefix = get_settings().require("usage_plan_prefix")
    key = usage_identifier_key(prefix, principal.tenant_id if principal else None, authenticated=principal is not None)
    return {
        "principalId": principal.subject if principal else ANONYMOUS_PRINCIPAL,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}],
        },
        "usageIdentifierKey": key,
        "context": {"tenant_id": (principal.tenant_id or "") if principal else ""},
    }
