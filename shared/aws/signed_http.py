"""JSON over HTTPS to an AWS service that has no boto3 client for its data plane (OpenSearch Serverless's REST API),
each request signed with Signature Version 4 by botocore, sent with urllib3: both are in the Lambda runtime already,
so this adds nothing to a cold start but the request itself (opensearch-py would add 0.4-0.9 s of imports and 28 MB,
docs/marketplace.md)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import boto3
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

_TIMEOUT = urllib3.Timeout(connect=2.0, read=10.0)


@lru_cache(maxsize=1)
def _pool() -> urllib3.PoolManager:
    return urllib3.PoolManager(maxsize=4, retries=urllib3.Retry(total=2, connect=2, read=0, status=0))


@lru_cache(maxsize=1)
def _session() -> boto3.Session:
    return boto3.Session()


class SignedResponse:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def ndjson(lines: Sequence[dict[str, Any]]) -> bytes:
    """A newline-delimited JSON body (OpenSearch's `_bulk`), with its closing newline."""
    return b"".join(json.dumps(line, separators=(",", ":")).encode() + b"\n" for line in lines)


def signed_request(
    method: str,
    url: str,
    service: str,
    body: bytes | dict[str, Any] | None = None,
    content_type: str = "application/json",
    region: str | None = None,
) -> SignedResponse:
    """One request signed with the function's own credentials for `service` in `region` (the service's region,
    which may be another than the function's; by default the function's)."""
    session = _session()
    credentials = session.get_credentials()
    if credentials is None:
        raise RuntimeError("no AWS credentials to sign a request to " + service)
    data = json.dumps(body).encode() if isinstance(body, dict) else body or b""
    # OpenSearch Serverless requires the payload's hash as a signed header.
    headers = {"X-Amz-Content-SHA256": hashlib.sha256(data).hexdigest()}
    if data:
        headers["Content-Type"] = content_type
    request = AWSRequest(method=method, url=url, data=data, headers=headers)
    SigV4Auth(credentials.get_frozen_credentials(), service, region or session.region_name or "us-east-1").add_auth(
        request
    )
    response = _pool().request(
        method, url, body=data or None, headers=dict(request.headers.items()), timeout=_TIMEOUT, redirect=False
    )
    return SignedResponse(response.status, response.data)
