"""Synthesizes the CDK app offline once per configuration; asset bundling is skipped (`make synth` does it)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, NestedStack, Stack
from aws_cdk.assertions import Template

from infra.platform_app import CDK_JSON, build_app
from infra.stacks.regional import RegionalStack

pytestmark = pytest.mark.infra

HAIKU_ARN = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
SINGLE_REGION = {"environment": "test", "regions": ["us-east-1"], "agent_model_arns": [HAIKU_ARN]}
# An enterprise tenant with a dedicated (silo) stack; its id is what shared/tenancy/tenants.py generates.
SILO_TENANT = "5f0c2b9e8d7a4c1e9b3f6a2d4e8c0b1a"
THREE_REGIONS: dict[str, Any] = {
    "environment": "prod",
    "regions": ["us-east-1", "eu-west-1", "ap-southeast-2"],
    "domain": {"name": "api.forge.example.com", "hosted_zone_id": "Z0123456789ABC", "hosted_zone_name": "example.com"},
    "alarm_email": "oncall@example.com",
    "api_gateway_account_role": True,
    "silo_tenants": [SILO_TENANT],
}


def synthesize(forge_config: dict[str, Any], outdir: Path) -> App:
    context = json.loads(CDK_JSON.read_text())["context"] | {"aws:cdk:bundling-stacks": [], "forge": forge_config}
    app = build_app(context=context, outdir=str(outdir))
    app.synth()
    return app


def stacks_of(app: App) -> dict[str, Stack]:
    return {child.stack_name: child for child in app.node.children if isinstance(child, Stack)}


def nested_stacks_of(stack: Stack) -> list[NestedStack]:
    """The domains of a regional stack (infra/stacks/domains.py), each deployed from its own template."""
    return [child for child in stack.node.children if isinstance(child, NestedStack)]


def templates_of(app: App) -> dict[str, Template]:
    """Every template a deploy creates stacks from: top-level stacks and their nested stacks, by construct path."""
    templates = {}
    for stack in stacks_of(app).values():
        for each in (stack, *nested_stacks_of(stack)):
            templates[each.node.path] = Template.from_stack(each)
    return templates


# CDK's own functions beside the catalog's: the one that empties buckets before a destroy (`removal: destroy`), and
# the one that copies the ML jobs' code into the platform bucket (BucketDeployment, infra/constructs/ml_pipelines.py).
CDK_OWN_FUNCTIONS = ("CustomS3AutoDeleteObjectsCustomResourceProviderHandler", "CustomCDKBucketDeployment")


def functions_of(template: Template) -> dict[str, Mapping[str, Any]]:
    """The template's catalog functions: every function but CDK's own providers."""
    return {
        logical_id: function
        for logical_id, function in template.find_resources("AWS::Lambda::Function").items()
        if not logical_id.startswith(CDK_OWN_FUNCTIONS)
    }


def template_of(stack: Stack) -> Template:
    """One template with the resources, outputs and conditions of a stack and its nested stacks, for assertions on
    what the stack deploys wherever its domains put it (logical ids are unique across them)."""
    merged: dict[str, dict[str, Any]] = {}
    for each in (stack, *nested_stacks_of(stack)):
        for section, entries in Template.from_stack(each).to_json().items():
            if not isinstance(entries, dict):
                continue
            target = merged.setdefault(section, {})
            # A singleton (the AwsCustomResource provider) is the same resource in each domain that uses it.
            clashes = {key for key in target.keys() & entries.keys() if target[key] != entries[key]}
            assert section == "Parameters" or not clashes, f"{section} {clashes} in two templates of {stack.node.path}"
            target |= entries
    return Template.from_json(merged)


CFN_LINT = Path(sys.executable).parent / "cfn-lint"
# W3005: CDK adds an explicit DependsOn on a role's default policy beside the GetAtt; harmless and not ours to change.
CFN_LINT_IGNORED = "W3005"
# cfn-lint takes most of a minute on the three-region app, on one core: when the session runs test_checks.py's lint
# test, it starts as soon as an app is synthesized, beside the tests that follow, and the test reads its verdict.
_cfn_lint_runs: dict[str, subprocess.Popen[str]] = {}


def _start_cfn_lint(app: App) -> None:
    outdir = Path(app.outdir)
    templates = [
        outdir / each.template_file for stack in stacks_of(app).values() for each in (stack, *nested_stacks_of(stack))
    ]
    _cfn_lint_runs[app.outdir] = subprocess.Popen(
        [str(CFN_LINT), *map(str, templates), "--ignore-checks", CFN_LINT_IGNORED],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def cfn_lint_verdict(app: App) -> tuple[int, str]:
    """cfn-lint's exit code and output over every template of the app."""
    if app.outdir not in _cfn_lint_runs:
        _start_cfn_lint(app)
    output, _ = _cfn_lint_runs[app.outdir].communicate()
    return _cfn_lint_runs[app.outdir].returncode, output


def _linted(app: App, session: pytest.Session) -> Iterator[App]:
    if any(item.name.startswith("test_cfn_lint_") for item in session.items):
        _start_cfn_lint(app)
    yield app
    run = _cfn_lint_runs.pop(app.outdir, None)
    if run is not None and run.poll() is None:
        run.kill()
        run.communicate()


@pytest.fixture(scope="session")
def single_region_app(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[App]:
    yield from _linted(synthesize(SINGLE_REGION, tmp_path_factory.mktemp("cdk-single")), request.session)


@pytest.fixture(scope="session")
def three_region_app(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[App]:
    yield from _linted(synthesize(THREE_REGIONS, tmp_path_factory.mktemp("cdk-three")), request.session)


@pytest.fixture(scope="session")
def stack(single_region_app: App) -> RegionalStack:
    """The one regional stack of the single-region configuration."""
    (only,) = stacks_of(single_region_app).values()
    assert isinstance(only, RegionalStack)
    return only


@pytest.fixture(scope="session")
def template(stack: RegionalStack) -> Template:
    return template_of(stack)
