"""Ratings and reviews under the local platform: only after an install, one per member (a second PUT edits it),
the item record's rating counters kept across a new version, abuse reports once per member, replies by the
publisher only, and no author's tenant or subject shown to anyone."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from devserver.table_stream_poller import TableStreamPoller
from shared.store.marketplace import find_listing
from tests.integration.marketplace.test_install_api import greeting_template
from tests.integration.marketplace.test_install_kinds import published
from tests.integration.workflows.test_workflow_api import tenant_headers

REVIEWS = "/v1/marketplace/items/acme/greeting/reviews"
INSTALL = {"namespace": "acme", "name": "greeting", "version": "1.0.0", "parameters": {"team": "Acme"}}


def test_only_installers_rate_once_per_member_and_the_item_keeps_count_and_average(
    api: TestClient,
    acme: tuple[dict[str, str], bytes],
    issuer: Any,
    admin_headers: dict[str, str],
    stream: TableStreamPoller,
) -> None:
    publisher, _ = acme
    published(api, acme, stream, greeting_template())
    buyer = tenant_headers(api, issuer, admin_headers, "buyer")
    other = tenant_headers(api, issuer, admin_headers, "other")

    before_install = api.put(f"{REVIEWS}/mine", headers=buyer, json={"rating": 4})
    assert api.post("/v1/marketplace/installs", headers=buyer, json=INSTALL).status_code == 201
    assert api.post("/v1/marketplace/installs", headers=other, json=INSTALL).status_code == 201
    first = api.put(f"{REVIEWS}/mine", headers=buyer, json={"rating": 4, "title": "Good"})
    edited = api.put(f"{REVIEWS}/mine", headers=buyer, json={"rating": 2, "body": "Less good on a second look"})
    theirs = api.put(f"{REVIEWS}/mine", headers=other, json={"rating": 5})
    published(api, acme, stream, {**greeting_template(), "version": "1.1.0"})

    assert before_install.status_code == 403 and before_install.json()["type"].endswith("/not-installed")
    assert first.status_code == 200 and edited.status_code == 200 and theirs.status_code == 200, theirs.text
    assert edited.json()["review_id"] == first.json()["review_id"] and edited.json()["rating"] == 2
    listing = find_listing("acme", "greeting")
    assert listing is not None and listing.latest_version == "1.1.0"
    assert (listing.rating_count, listing.rating_sum, listing.rating_average) == (2, 7, 3.5)
    seen_by_other = api.get(REVIEWS, headers=other)
    assert seen_by_other.json()["rating_count"] == 2 and seen_by_other.json()["rating_average"] == 3.5
    assert [(review["rating"], review["mine"]) for review in seen_by_other.json()["items"]] == [(5, True), (2, False)]
    buyer_tenant = api.get("/v1/me", headers=buyer).json()["tenant_id"]
    assert buyer_tenant not in seen_by_other.text and "buyer-owner" not in seen_by_other.text

    review_id = first.json()["review_id"]
    reported = api.post(f"{REVIEWS}/{review_id}/reports", headers=other, json={"reason": "Spam"})
    reported_again = api.post(f"{REVIEWS}/{review_id}/reports", headers=other, json={"reason": "Spam"})
    reply_by_other = api.put(f"{REVIEWS}/{review_id}/reply", headers=other, json={"body": "Not mine to answer"})
    reply = api.put(f"{REVIEWS}/{review_id}/reply", headers=publisher, json={"body": "Fixed in 1.1.0"})
    withdrawn = api.delete(f"{REVIEWS}/mine", headers=buyer)

    assert reported.status_code == 202 and reported_again.status_code == 409
    assert reply_by_other.status_code == 403 and reply.json()["reply"] == "Fixed in 1.1.0"
    assert withdrawn.status_code == 204
    after = api.get(REVIEWS, headers=buyer).json()
    assert (after["rating_count"], after["rating_average"]) == (1, 5.0)
