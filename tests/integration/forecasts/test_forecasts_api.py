"""GET /v1/forecasts: the tenant's latest forecast job output with intervals, model and MASE, per workflow, quota
warnings recorded and audited once per period; nothing of another tenant's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from devserver.api import create_platform_api
from shared.auth.principal import Role
from shared.forecasts.published import latest_forecast
from shared.forecasts.quota import AUDIT_ACTION, predicted_quota_warnings, record_quota_warnings
from shared.settings import get_settings
from shared.tenancy.tiers import Tier, tier_limits
from tests.integration.forecasts.support import publish_forecast, series_answer
from tests.integration.tenancy.conftest import bearer

NEXT_HOUR = (datetime.now(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def api(emulated_aws, issuer) -> TestClient:
    return TestClient(create_platform_api(issuer), raise_server_exceptions=False)


def _tenant(api: TestClient, issuer, admin_headers: dict[str, str], slug: str) -> tuple[str, dict[str, str]]:
    created = api.post(
        "/v1/tenants",
        headers=admin_headers,
        json={"slug": slug, "display_name": slug.title(), "tier": "basic", "owner": {"subject": f"{slug}-owner"}},
    )
    assert created.status_code == 201, created.text
    tenant_id = created.json()["tenant_id"]
    viewer = f"{slug}-viewer"
    owner = bearer(issuer.mint(f"{slug}-owner", tenant_id=tenant_id, role=Role.OWNER))
    assert api.post("/v1/members", headers=owner, json={"subject": viewer, "role": "viewer"}).status_code == 201
    return tenant_id, bearer(issuer.mint(viewer, tenant_id=tenant_id, role=Role.VIEWER))


def test_a_tenant_without_a_forecast_gets_an_answer_saying_so(api, issuer, admin_headers) -> None:
    _, viewer = _tenant(api, issuer, admin_headers, "unforecast")

    response = api.get("/v1/forecasts", headers=viewer)

    assert response.status_code == 200, response.text
    assert response.json()["available"] is False
    assert response.json()["metrics"] == []
    assert "No forecast yet" in response.json()["detail"]


def test_the_newest_forecast_of_the_tenant_and_of_a_workflow_with_intervals_model_and_mase(
    api, issuer, admin_headers
) -> None:
    tenant_id, viewer = _tenant(api, issuer, admin_headers, "forecast")
    other_id, _ = _tenant(api, issuer, admin_headers, "neighbour")
    publish_forecast(tenant_id, "ml-00000000001", [series_answer(f"{tenant_id}:executions", NEXT_HOUR, [1.0] * 48)])
    publish_forecast(
        tenant_id,
        "ml-00000000002",
        [
            series_answer(f"{tenant_id}:executions", NEXT_HOUR, [float(h % 24) for h in range(168)]),
            series_answer(f"{tenant_id}:wf-orders:executions", NEXT_HOUR, [2.0] * 168, model="auto_theta"),
        ],
    )
    publish_forecast(other_id, "ml-00000000003", [series_answer(f"{other_id}:executions", NEXT_HOUR, [9.0] * 168)])

    tenant = api.get("/v1/forecasts?horizon=48", headers=viewer).json()
    workflow = api.get("/v1/forecasts?workflow_id=wf-orders", headers=viewer).json()

    assert (tenant["available"], tenant["job_id"], tenant["horizon_hours"]) == (True, "ml-00000000002", 48)
    [executions] = tenant["metrics"]
    assert (executions["metric"], executions["workflow_id"], executions["model"]) == ("executions", None, "auto_ets")
    assert (executions["mase"], executions["seasonal_naive_mase"]) == (0.62, 1.0)
    assert executions["points"][5] == {
        "timestamp": (NEXT_HOUR + timedelta(hours=5)).isoformat().replace("+00:00", "Z"),
        "mean": 5.0,
        "lower": 4.0,
        "upper": 6.25,
    }
    assert tenant["interval_level"] == 0.9 and tenant["forecast_at"] is not None
    assert [(m["workflow_id"], m["model"], len(m["points"])) for m in workflow["metrics"]] == [
        ("wf-orders", "auto_theta", 168)
    ]
    assert other_id not in str(tenant) + str(workflow)


def test_a_horizon_outside_24_to_168_hours_is_a_422_naming_it(api, issuer, admin_headers) -> None:
    _, viewer = _tenant(api, issuer, admin_headers, "horizons")

    response = api.get("/v1/forecasts?horizon=200", headers=viewer)

    assert response.status_code == 422
    assert [param["name"] for param in response.json()["invalid-params"]] == ["/query/horizon"]


def test_a_predicted_quota_hit_is_shown_and_recorded_and_audited_once_per_period(api, issuer, admin_headers) -> None:
    tenant_id, viewer = _tenant(api, issuer, admin_headers, "busy")
    # 200 executions an hour: the basic tier's 10,000 a month are reached in the 50th hour.
    publish_forecast(tenant_id, "ml-00000000004", [series_answer(f"{tenant_id}:executions", NEXT_HOUR, [200.0] * 168)])

    shown = api.get("/v1/forecasts", headers=viewer).json()["quota_warnings"]
    published = latest_forecast(get_settings().require("bucket_payloads"), tenant_id)
    assert published is not None
    warnings = predicted_quota_warnings(published, tier_limits(Tier.BASIC), 0, datetime.now(UTC))
    first = record_quota_warnings(tenant_id, warnings, "ml-00000000004")
    again = record_quota_warnings(tenant_id, warnings, "ml-00000000005")

    monthly = [warning for warning in shown if warning["quota"] == "monthly_executions"]
    assert monthly and monthly[0]["limit"] == 10_000 and monthly[0]["predicted"] >= 10_000
    assert [warning.quota for warning in first] == [warning["quota"] for warning in shown]
    assert again == []
    owner = bearer(issuer.mint("busy-owner", tenant_id=tenant_id, role=Role.OWNER))
    audit = api.get("/v1/audit-events", headers=owner).json()["items"]
    assert len([event for event in audit if event["action"] == AUDIT_ACTION]) == len(shown)
