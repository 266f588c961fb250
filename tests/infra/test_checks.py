"""cdk-nag AwsSolutions and cfn-lint on every synthesized stack and nested stack: zero unacknowledged findings."""

from __future__ import annotations

import functools

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Annotations, Match

from tests.infra.conftest import cfn_lint_verdict, stacks_of

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module", params=["single_region_app", "three_region_app"])
def app(request: pytest.FixtureRequest) -> App:
    app: App = request.getfixturevalue(request.param)
    return app


@functools.cache
def annotations_of(stack: Stack) -> Annotations:
    """Seconds per stack (CDK's node process collects them from the synthesized assembly): read once, by both tests."""
    return Annotations.from_stack(stack)


def test_cdk_nag_finds_nothing_unacknowledged(app: App):
    findings = []
    for name, stack in stacks_of(app).items():
        annotations = annotations_of(stack)
        nag = Match.string_like_regexp("AwsSolutions-.*")
        for message in [*annotations.find_error("*", nag), *annotations.find_warning("*", nag)]:
            findings.append(f"{name} {message.id}: {str(message.entry.data)[:160]}")
    assert findings == []


def test_cdk_warns_about_nothing_make_synth_would_print(app: App):
    warnings = [
        f"{name} {message.id}: {str(message.entry.data)[:160]}"
        for name, stack in stacks_of(app).items()
        for message in annotations_of(stack).find_warning("*", Match.any_value())
    ]
    assert warnings == []


def test_cfn_lint_is_clean_on_every_template(app: App):
    returncode, output = cfn_lint_verdict(app)
    assert returncode == 0, output
