"""botocore's parsed data (service models, endpoints), once per process, and loaded before `forge dev` forks.

A botocore session parses the JSON models it needs again, in its own loader: the emulation and every API worker
make several (boto3's default session, one per PynamoDB connection, moto's, the Step Functions runtime's), and each
holds its own copy of `endpoints.json` (about 7 MB parsed) and of each service's model. With one cache for the
process, every session shares one copy; parsed before the workers are forked, that copy is in pages the workers
share with the platform instead of one each (about 25 MB a worker once it has served the webhook path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.loaders import Loader

# The services the API workers call (DynamoDB and Step Functions over the data plane; STS for tenant sessions, KMS
# for webhook secrets, S3 for large payloads).
WORKER_SERVICES = ("dynamodb", "stepfunctions", "sts", "kms", "s3")
_SHARED_METHODS = (
    "list_available_services",
    "determine_latest_version",
    "list_api_versions",
    "load_service_model",
    "load_data_with_path",
)
_shared: dict[tuple[Any, ...], Any] = {}


def share_botocore_data() -> None:
    """Idempotent: from now on every botocore loader of this process (and of processes forked from it) answers from
    one cache per search path, as one long-lived session's loader would."""
    for name in _SHARED_METHODS:
        load = getattr(Loader, name)
        if not getattr(load, "_forge_shared", False):
            setattr(Loader, name, _sharing(name, load))


def _sharing(name: str, load: Callable[..., Any]) -> Callable[..., Any]:
    def shared_load(self: Loader, *args: Any, **kwargs: Any) -> Any:
        key = (name, tuple(self.search_paths), args, tuple(sorted(kwargs.items())))
        if key not in _shared:
            _shared[key] = load(self, *args, **kwargs)
        return _shared[key]

    shared_load._forge_shared = True  # type: ignore[attr-defined]
    return shared_load


def load_client_data(services: Iterable[str] = WORKER_SERVICES) -> None:
    """Parses what a client of each service needs (its model, endpoint rules, endpoints), without a connection: no
    socket is opened, so it is safe before a fork."""
    import boto3
    import botocore.session

    session = botocore.session.get_session()
    for service in services:
        session.create_client(service)
        # boto3's default session (shared/aws/clients.py) adds its own data to the search path: its cache entries.
        boto3.client(service)  # type: ignore[call-overload]
