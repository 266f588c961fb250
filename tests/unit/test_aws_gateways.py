"""The domain calls AWS through the gateways of shared/aws/ (one module per service), never a boto3 client itself.

Step Functions, EventBridge Scheduler, KMS and S3 are called only through their gateways; the clients module is read
directly only by the modules named here, each for a service that has no gateway yet.
"""

from __future__ import annotations

import grimp

# Module → the service it still calls on a client of shared/aws/clients.py.
CLIENTS_READ_DIRECTLY = {
    "shared.store.tenant_credentials": "STS",
    "shared.tenancy.gateway_keys": "API Gateway",
}


def test_only_the_gateways_build_or_call_boto3_clients() -> None:
    graph = grimp.build_graph("shared", include_external_packages=True, cache_dir=None)
    outside_gateways = {module for module in graph.modules if not module.startswith(("shared.aws", "boto"))}

    importing_boto3 = sorted(
        module for module in outside_gateways if graph.direct_import_exists(importer=module, imported="boto3")
    )
    reading_clients = sorted(
        module
        for module in outside_gateways
        if graph.direct_import_exists(importer=module, imported="shared.aws.clients")
    )

    assert importing_boto3 == []
    assert reading_clients == sorted(CLIENTS_READ_DIRECTLY)
