"""The scan: approved without findings, rejected with each finding's rule and place."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shared.marketplace.scanning import MAX_ARTEFACT_BYTES, RULES_VERSION, needs_rescan, scan_version


def _rules(report: Any) -> set[tuple[str, str]]:
    return {(finding.rule, finding.pointer) for finding in report.findings}


def test_a_valid_template_is_approved_under_the_current_rules(template_manifest: dict[str, Any]) -> None:
    report = scan_version(template_manifest, {})

    assert report.findings == [] and report.status == "approved"
    assert report.as_dict()["rules_version"] == RULES_VERSION and not needs_rescan(RULES_VERSION)


def test_a_connector_made_from_its_openapi_document_is_approved(
    connector_manifest: dict[str, Any], openapi_artefact: bytes
) -> None:
    assert scan_version(connector_manifest, {"openapi.json": openapi_artefact}).findings == []


def test_a_secret_inside_a_template_is_rejected_naming_its_place(template_manifest: dict[str, Any]) -> None:
    manifest = copy.deepcopy(template_manifest)
    manifest["workflow"]["nodes"][1]["params"]["query"] = {"token": "ghp_1234567890abcdefghijABCDEFGHIJ123456"}

    report = scan_version(manifest, {})

    assert report.status == "rejected"
    assert ("secrets", "/workflow/nodes/1/params/query/token") in _rules(report)


@pytest.mark.parametrize("url", ["http://10.0.0.5/books", "http://169.254.169.254/latest", "http://[::1]/"])
def test_a_private_network_url_in_a_connector_is_rejected(
    connector_manifest: dict[str, Any], openapi_artefact: bytes, url: str
) -> None:
    manifest = {**connector_manifest, "server_url": url}

    report = scan_version(manifest, {"openapi.json": openapi_artefact})

    assert ("ssrf", "/server_url") in _rules(report)


def test_presets_that_differ_from_the_document_are_rejected(
    connector_manifest: dict[str, Any], openapi_artefact: bytes
) -> None:
    manifest = copy.deepcopy(connector_manifest)
    manifest["presets"][0]["path"] = "/admin/delete-everything"

    assert ("openapi", "/presets") in _rules(scan_version(manifest, {"openapi.json": openapi_artefact}))


def test_an_invalid_workflow_is_rejected_with_the_platforms_own_findings(template_manifest: dict[str, Any]) -> None:
    manifest = copy.deepcopy(template_manifest)
    manifest["workflow"]["edges"] = [{"from": "start", "to": "nowhere"}]

    report = scan_version(manifest, {})

    assert any(rule == "workflow" and pointer.startswith("/workflow/edges") for rule, pointer in _rules(report))


@pytest.mark.parametrize("licence", ["Apache 2.0", "Proprietary-Forever", ""])
def test_a_licence_that_is_no_spdx_expression_is_rejected(template_manifest: dict[str, Any], licence: str) -> None:
    report = scan_version({**template_manifest, "license": licence}, {})

    assert {"licence", "schema"} & {finding.rule for finding in report.findings}


def test_an_spdx_expression_of_known_ids_passes(template_manifest: dict[str, Any]) -> None:
    assert scan_version({**template_manifest, "license": "MIT OR Apache-2.0"}, {}).findings == []


def test_an_oversized_artefact_and_too_many_expressions_are_rejected(template_manifest: dict[str, Any]) -> None:
    manifest = copy.deepcopy(template_manifest)
    manifest["workflow"]["nodes"][1]["params"]["query"] = {f"q{n}": "{% $states.input.a %}" for n in range(201)}

    report = scan_version(manifest, {"big.bin": b"x" * (MAX_ARTEFACT_BYTES + 1)})

    assert {("size", "/artefacts/big.bin"), ("expressions", "")} <= _rules(report)


def test_a_report_of_older_rules_needs_a_rescan() -> None:
    assert needs_rescan("2020-01-01.1")
