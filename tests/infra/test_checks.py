"""cdk-nag AwsSolutions and cfn-lint on every synthesized stack and nested stack: zero unacknowledged findings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk.assertions import Annotations, Match

from tests.infra.conftest import nested_stacks_of, stacks_of

pytestmark = pytest.mark.infra

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
# W3005: CDK adds an explicit DependsOn on a role's default policy beside the GetAtt; harmless and not ours to change.
CFN_LINT_IGNORED = "W3005"


@pytest.fixture(scope="module", params=["single_region_app", "three_region_app"])
def app(request: pytest.FixtureRequest) -> App:
    app: App = request.getfixturevalue(request.param)
    return app


def test_cdk_nag_finds_nothing_unacknowledged(app: App):
    findings = []
    for name, stack in stacks_of(app).items():
        annotations = Annotations.from_stack(stack)
        nag = Match.string_like_regexp("AwsSolutions-.*")
        for message in [*annotations.find_error("*", nag), *annotations.find_warning("*", nag)]:
            findings.append(f"{name} {message.id}: {str(message.entry.data)[:160]}")
    assert findings == []


def test_cdk_warns_about_nothing_make_synth_would_print(app: App):
    warnings = [
        f"{name} {message.id}: {str(message.entry.data)[:160]}"
        for name, stack in stacks_of(app).items()
        for message in Annotations.from_stack(stack).find_warning("*", Match.any_value())
    ]
    assert warnings == []


def test_cfn_lint_is_clean_on_every_template(app: App):
    outdir = Path(app.outdir)
    templates = [
        outdir / each.template_file for stack in stacks_of(app).values() for each in (stack, *nested_stacks_of(stack))
    ]
    result = subprocess.run(
        [str(CFN_LINT), *map(str, templates), "--ignore-checks", CFN_LINT_IGNORED],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
