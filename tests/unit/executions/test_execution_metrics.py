"""The execution metrics' EMF documents carry exactly the dimension sets the executions dashboard queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared.executions.settle import settle_start
from shared.metrics import EXECUTION_DIMENSION_SETS, EXECUTIONS_STARTED
from shared.store.executions import ExecutionItem
from shared.store.tenant_scoped import TenantContext


def test_a_started_metric_has_the_dashboards_dimension_sets_even_with_the_functions_service_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Set on every function in the cloud (shared/catalog.py); Powertools would add it to the first dimension set.
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "webhooks")
    record = ExecutionItem(
        "tenant0001", "exe_1", execution_id="exe_1", workflow_id="wf_1", status="RUNNING", started_at=datetime.now(UTC)
    )

    settle_start(TenantContext("tenant0001"), record)

    (document,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert [tuple(names) for names in directive["Dimensions"]] == list(EXECUTION_DIMENSION_SETS)
    assert "service" not in document and document[EXECUTIONS_STARTED] in (1, [1])
    assert (document["tenant_id"], document["workflow_id"]) == ("tenant0001", "wf_1")
