"""The intelligence domain: one pipeline state machine, model package group and schedule per job kind, a SageMaker
role held to the bucket's ml/ prefixes, the hourly export, and alarms on failed pipeline runs."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.bundles import SAGEMAKER_DIR, build_job_source
from infra.stacks.domains import Domain
from infra.stacks.regional import RegionalStack
from shared.ml.job_kinds import FORECAST, JOB_KINDS
from tests.infra.conftest import template_of

pytestmark = pytest.mark.infra

PREFIX = "nexus-forge-test"


def _intelligence(stack: RegionalStack) -> dict[str, Any]:
    resources: dict[str, Any] = Template.from_stack(stack.domains[Domain.INTELLIGENCE]).to_json()["Resources"]
    return resources


def _of_type(resources: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [resource["Properties"] for resource in resources.values() if resource["Type"] == kind]


def test_each_kind_has_its_pipeline_and_model_package_group(stack: RegionalStack) -> None:
    resources = _intelligence(stack)
    machines = {
        props["StateMachineName"]: json.dumps(props["DefinitionString"])
        for props in _of_type(resources, "AWS::StepFunctions::StateMachine")
    }
    assert set(machines) == {f"{PREFIX}-ml-{kind.replace('_', '-')}" for kind in JOB_KINDS}
    forecast = machines[f"{PREFIX}-ml-forecast"]
    for integration in ("sagemaker:createTrainingJob.sync", "sagemaker:createModelPackage", "createTransformJob.sync"):
        assert integration in forecast
    groups = {props["ModelPackageGroupName"] for props in _of_type(resources, "AWS::SageMaker::ModelPackageGroup")}
    assert groups == {kind.model_package_group for kind in JOB_KINDS.values()}


def test_the_sagemaker_role_reaches_only_the_buckets_ml_prefixes(stack: RegionalStack) -> None:
    resources = _intelligence(stack)
    (role,) = [
        props
        for props in _of_type(resources, "AWS::IAM::Role")
        if "sagemaker" in json.dumps(props) and props.get("RoleName") == f"{PREFIX}-ml-sagemaker"
    ]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    policies = [props for props in _of_type(resources, "AWS::IAM::Policy") if "SageMakerRole" in json.dumps(props)]
    s3_resources = [
        json.dumps(statement["Resource"])
        for policy in policies
        for statement in policy["PolicyDocument"]["Statement"]
        if '"s3:' in json.dumps(statement["Action"]) and "s3:ListBucket" not in json.dumps(statement["Action"])
    ]
    assert s3_resources
    assert all("/ml/" in resource for resource in s3_resources), s3_resources


def test_the_forecast_pipeline_runs_on_its_schedule_and_the_export_hourly(stack: RegionalStack) -> None:
    rules = _of_type(_intelligence(stack), "AWS::Events::Rule")
    expressions = {rule["ScheduleExpression"] for rule in rules}
    assert FORECAST.schedule in expressions
    assert "cron(5 * * * ? *)" in expressions


def test_a_failed_pipeline_run_raises_an_alarm(stack: RegionalStack) -> None:
    alarms = template_of(stack).find_resources("AWS::CloudWatch::Alarm")
    names = {str(alarm["Properties"].get("AlarmName")) for alarm in alarms.values()}
    assert any("ml-forecast-failed" in name for name in names), names


def test_each_kinds_code_is_uploaded_where_its_training_jobs_point(stack: RegionalStack) -> None:
    resources = _intelligence(stack)
    prefixes = {props["DestinationBucketKeyPrefix"] for props in _of_type(resources, "Custom::CDKBucketDeployment")}
    assert prefixes == {f"ml/code/{kind.source_folder}/" for kind in JOB_KINDS.values()}
    # The scheduled run's input: the plan, with the bucket's name resolved at deploy time.
    (scheduled,) = [
        json.dumps(rule["Targets"]) for rule in _of_type(resources, "AWS::Events::Rule") if "training" in str(rule)
    ]
    assert "sagemaker_program" in scheduled and "sagemaker_submit_directory" in scheduled
    assert "/ml/code/forecast/sourcedir.tar.gz" in scheduled


def test_the_framework_images_are_the_regions_own(stack: RegionalStack) -> None:
    machines = {
        props["StateMachineName"]: json.dumps(props["DefinitionString"])
        for props in _of_type(_intelligence(stack), "AWS::StepFunctions::StateMachine")
    }
    (scheduled,) = [
        json.dumps(rule["Targets"])
        for rule in _of_type(_intelligence(stack), "AWS::Events::Rule")
        if "training" in str(rule)
    ]
    for kind in JOB_KINDS.values():
        # A kind with a GPU variant trains in the image its plan names (the scheduled run's: the CPU one).
        where = scheduled if kind.gpu_training_image else machines[f"{PREFIX}-ml-{kind.name.replace('_', '-')}"]
        assert kind.training_image_uri("us-east-1") in where
    assert FORECAST.training_image_uri("eu-west-1") == (
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    )


def test_a_job_kinds_sourcedir_carries_its_folder_and_the_shared_contract(tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "again").mkdir()
    first = build_job_source("anomaly", tmp_path / "first")
    with tarfile.open(first) as archive:
        members = {member.name: archive.extractfile(member).read() for member in archive.getmembers()}  # type: ignore[union-attr]

    assert set(members) == {"train.py", "inference.py", "requirements.txt", "contract.py"}
    assert members["contract.py"] == (SAGEMAKER_DIR / "contract.py").read_bytes()
    assert build_job_source("anomaly", tmp_path / "again").read_bytes() == first.read_bytes()


def test_the_accounts_sagemaker_spend_has_a_budget_that_warns_the_alarm_topic(stack: RegionalStack) -> None:
    budgets = template_of(stack).find_resources("AWS::Budgets::Budget")

    (budget,) = [resource["Properties"] for resource in budgets.values()]
    assert budget["Budget"]["CostFilters"] == {"Service": ["Amazon SageMaker"]}
    assert budget["Budget"]["BudgetLimit"] == {"Amount": 500, "Unit": "USD"}
    assert budget["Budget"]["TimeUnit"] == "MONTHLY"
    warnings = {
        (entry["Notification"]["NotificationType"], entry["Notification"]["Threshold"]): entry["Subscribers"]
        for entry in budget["NotificationsWithSubscribers"]
    }
    assert set(warnings) == {("ACTUAL", 80), ("FORECASTED", 100)}
    assert all(subscribers[0]["SubscriptionType"] == "SNS" for subscribers in warnings.values())
    assert "AlarmTopic" in json.dumps(list(warnings.values()))


def test_the_agent_tuning_pipeline_passes_only_its_role_and_serves_only_tenants_tuned_models(
    stack: RegionalStack,
) -> None:
    resources = _intelligence(stack)
    (role_id,) = [
        logical_id
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Role" and resource["Properties"].get("RoleName") == f"{PREFIX}-agent-tuning"
    ]
    (machine,) = [
        props
        for props in _of_type(resources, "AWS::StepFunctions::StateMachine")
        if props["StateMachineName"] == f"{PREFIX}-ml-agent-tuning"
    ]
    machine_role = machine["RoleArn"]["Fn::GetAtt"][0]
    statements = [
        statement
        for props in _of_type(resources, "AWS::IAM::Policy")
        if {"Ref": machine_role} in props["Roles"]
        for statement in props["PolicyDocument"]["Statement"]
    ]
    by_action = {json.dumps(statement["Action"]): statement for statement in statements}

    (passed,) = [statement for statement in statements if statement["Action"] == "iam:PassRole"]
    assert passed["Resource"] == {"Fn::GetAtt": [role_id, "Arn"]}
    serving = next(statement for action, statement in by_action.items() if "sagemaker:CreateEndpoint" in action)
    assert all(f"/{PREFIX}-tm-*" in json.dumps(resource) for resource in serving["Resource"]), serving["Resource"]
    assert "createEndpoint" in json.dumps(machine["DefinitionString"])


def test_the_sagemaker_role_pulls_the_gpu_variants_pytorch_training_image(stack: RegionalStack) -> None:
    policies = [
        props for props in _of_type(_intelligence(stack), "AWS::IAM::Policy") if "SageMakerRole" in json.dumps(props)
    ]
    pulled = [
        json.dumps(statement["Resource"])
        for policy in policies
        for statement in policy["PolicyDocument"]["Statement"]
        if "ecr:BatchGetImage" in json.dumps(statement["Action"])
    ]
    assert any(":763104351884:repository/pytorch-training" in resource for resource in pulled), pulled
