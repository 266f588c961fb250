"""`make synth`, `make deploy` and `make destroy` run the CDK CLI with the configuration file and extra arguments
they are given (docs/deploy.md): checked with `make -n`, which prints the commands without running them."""

from __future__ import annotations

import subprocess

import pytest

from shared.resources import PROJECT_ROOT

pytestmark = pytest.mark.infra

CDK = "npx --yes aws-cdk@2"


def _command(*arguments: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("target", "cdk_command"), [("synth", "synth --quiet"), ("deploy", "deploy --all"), ("destroy", "destroy --all")]
)
def test_a_target_passes_the_config_file_and_the_extra_arguments_to_the_cdk_cli(target: str, cdk_command: str) -> None:
    command = _command(target, "CONFIG=configs/prod.json", "CDK_ARGS=--require-approval never --profile prod")
    assert command == (
        f"{CDK} {cdk_command} --context forge_config_file={PROJECT_ROOT / 'configs/prod.json'} "
        "--require-approval never --profile prod"
    )


def test_without_a_config_file_the_cdk_json_context_applies() -> None:
    assert _command("deploy").split() == [*CDK.split(), "deploy", "--all"]
