"""A tenant's custom agent models: a tuning request becomes a dataset under the tenant's prefix and an execution of
the `agent_tuning` pipeline (train → gate against the base model → registry → model → endpoint), read back with its
training's progress and its endpoint's status; deleting one deletes its endpoint, unless a live workflow version's
agent node still uses it."""

from __future__ import annotations

import json
import secrets
import string
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from shared.agent_models.dataset import MAX_MEMORY_EXCHANGES, build_dataset
from shared.agent_models.tuning import TuningPlace, TuningRequest, dataset_prefix, endpoint_name, plan_tuning
from shared.agents.memory import tenant_exchanges
from shared.aws import s3, sagemaker, stepfunctions
from shared.ml.job_kinds import AGENT_TUNING
from shared.ml.jobs import code_uri, eta, training_seconds, training_status
from shared.ml.plans import cost_so_far
from shared.ml.state_machines import MODEL_REJECTED
from shared.problems import Conflict, InvalidParam, NotFound, ValidationFailed
from shared.resources import ML_PIPELINES
from shared.settings import get_settings
from shared.store.agent_models import AgentModelItem, AgentModels
from shared.store.tenant_scoped import TenantContext
from shared.store.workflows import Workflows, WorkflowVersions, unpack

_MODEL_ID_ALPHABET = string.ascii_lowercase + string.digits
_ENDED = {"FAILED": "failed", "TIMED_OUT": "failed", "ABORTED": "stopped"}
_ENDPOINT_STATUSES = {"InService": "ready", "Failed": "failed", "OutOfService": "failed"}


class AgentNodeModel(BaseModel):
    """What an agent node's `model` field names to use the tuned model."""

    provider: str = "sagemaker"
    model_id: str = Field(description="The tuned model's endpoint")


class AgentModel(BaseModel):
    model_id: str
    name: str
    base_model: str
    status: str = Field(
        description="training, deploying, ready, rejected (not better than the base model), failed, stopped"
    )
    training_status: str | None = Field(description="SageMaker's TrainingJobStatus/SecondaryStatus, once created")
    instance_type: str
    hyperparameters: dict[str, int | float]
    dataset: dict[str, int] = Field(description="Examples from agent memory, uploaded, and memory exchanges left out")
    metrics: dict[str, float] = Field(description="Held-out loss of the tuned (loss) and of the base model (base_loss)")
    progress_percent: float | None
    eta_seconds: int | None
    max_cost_usd: float
    cost_usd: float = Field(description="Training time so far at the instance's on-demand price")
    endpoint_name: str
    endpoint_status: str | None = Field(description="SageMaker's EndpointStatus, once the endpoint is created")
    agent_node_model: AgentNodeModel = Field(description="The agent node's `model` that selects this model")
    error: str | None
    cause: str | None
    created_at: datetime
    created_by: str


class AgentModelPage(BaseModel):
    items: list[AgentModel]
    next_cursor: str | None


def create_agent_model(tenant: TenantContext, subject: str, request: TuningRequest) -> AgentModel:
    settings = get_settings()
    bucket = settings.require("bucket_payloads")
    pipelines = settings.require("ml_pipelines")
    model_id = "".join(secrets.choice(_MODEL_ID_ALPHABET) for _ in range(8))
    place = TuningPlace(
        prefix=ML_PIPELINES.platform_prefix(pipelines),
        bucket=bucket,
        code_uri=code_uri(bucket, AGENT_TUNING.name),
        base_models_root=settings.agent_base_models_root,
    )
    plan = plan_tuning(place, tenant.tenant_id, model_id, request)
    memory = tenant_exchanges(tenant, MAX_MEMORY_EXCHANGES) if request.include_agent_memory else []
    dataset = build_dataset(memory, request.examples)
    if not dataset.examples:
        reason = "no examples: upload JSONL examples or let your agents remember exchanges first"
        raise ValidationFailed([InvalidParam(name="/body/examples", reason=reason)])
    s3.put_object(bucket, f"{dataset_prefix(tenant.tenant_id, model_id)}examples.jsonl", dataset.jsonl(), "text/plain")
    name = endpoint_name(place.prefix, tenant.tenant_id, model_id)
    machine = f"{pipelines}-{AGENT_TUNING.name.replace('_', '-')}"
    started = stepfunctions.start_execution(machine, name, json.dumps(plan))
    models = AgentModels(tenant)
    item = models.new(
        model_id,
        model_id=model_id,
        name=request.name,
        base_model=request.base_model,
        endpoint_name=name,
        execution_arn=started["executionArn"],
        instance_type=request.instance_type,
        hourly_usd=plan["hourly_usd"],
        max_cost_usd=request.max_cost_usd,
        hyperparameters=request.hyperparameters.model_dump(),
        dataset={"from_memory": dataset.from_memory, "uploaded": dataset.uploaded, "left_out": dataset.left_out},
        created_at=started["startDate"],
        created_by=subject,
    )
    models.create(item)
    return _view(item)


def list_agent_models(tenant: TenantContext, *, limit: int, cursor: str | None) -> AgentModelPage:
    page = AgentModels(tenant).page(limit=limit, cursor=cursor)
    return AgentModelPage(items=[_view(item) for item in page.items], next_cursor=page.next_cursor)


def get_agent_model(tenant: TenantContext, model_id: str) -> AgentModel:
    return _view(_find(tenant, model_id))


def delete_agent_model(tenant: TenantContext, model_id: str) -> None:
    """Stops its training if it still runs and deletes its endpoint, endpoint config and model; a model that a live
    workflow version's agent node uses is a conflict."""
    models = AgentModels(tenant)
    item = _find(tenant, model_id)
    users = live_workflows_using(tenant, item.endpoint_name)
    if users:
        raise Conflict(
            f"Agent model {model_id!r} is used by the live version of workflow(s) {', '.join(users)}: publish "
            "versions that no longer use it first"
        )
    stop_serving(item, cause="the agent model was deleted")
    models.delete(item)


def stop_serving(item: AgentModelItem, *, cause: str) -> None:
    """Stops the model's pipeline if it still runs and deletes its endpoint, endpoint config and model; safe to repeat.
    An execution Step Functions no longer knows (it keeps a standard execution's record for 90 days) had ended."""
    try:
        running = stepfunctions.describe_execution(item.execution_arn)["status"] == "RUNNING"
    except ClientError as error:
        if error.response["Error"]["Code"] != "ExecutionDoesNotExist":
            raise
        running = False
    if running:
        stepfunctions.stop_execution(item.execution_arn, error="AgentModel.Deleted", cause=cause)
    sagemaker.delete_serving(item.endpoint_name)


def live_workflows_using(tenant: TenantContext, endpoint: str) -> list[str]:
    """The workflows whose live version has an agent node on the `sagemaker` endpoint."""
    users = []
    for workflow in Workflows(tenant).all_matching(Workflows.model.live_version.exists()):
        version = WorkflowVersions(tenant, workflow.workflow_id).get_version(int(workflow.live_version or 0))
        if version is not None and _uses(unpack(version.definition), endpoint):
            users.append(workflow.workflow_id)
    return users


def _uses(definition: Any, endpoint: str) -> bool:
    nodes = definition.get("nodes", []) if isinstance(definition, dict) else []
    models = [(node.get("params") or {}).get("model") for node in nodes if isinstance(node, dict)]
    return any(
        isinstance(model, dict) and model.get("provider") == "sagemaker" and model.get("model_id") == endpoint
        for model in models
    )


def _find(tenant: TenantContext, model_id: str) -> AgentModelItem:
    item = AgentModels(tenant).get(model_id)
    if item is None:
        raise NotFound(f"No agent model with id {model_id!r}")
    return item


def _status(execution: dict[str, Any], training: dict[str, Any] | None, endpoint: dict[str, Any] | None) -> str:
    if execution.get("error") == MODEL_REJECTED:
        return "rejected"
    if execution["status"] in _ENDED:
        return _ENDED[execution["status"]]
    if endpoint is not None:
        return _ENDPOINT_STATUSES.get(endpoint["EndpointStatus"], "deploying")
    if training is not None and training["TrainingJobStatus"] == "Completed":
        return "deploying"
    return "training"


def _view(item: AgentModelItem) -> AgentModel:
    execution = stepfunctions.describe_execution(item.execution_arn)
    training = sagemaker.describe_training_job(item.endpoint_name)
    endpoint = sagemaker.describe_endpoint(item.endpoint_name)
    metrics = {
        str(metric["MetricName"]): float(metric["Value"]) for metric in (training or {}).get("FinalMetricDataList", [])
    }
    progress = metrics.pop("progress", None)
    seconds = training_seconds(training)
    completed = training is not None and training["TrainingJobStatus"] == "Completed"
    endpoint_failure = (endpoint or {}).get("FailureReason")
    return AgentModel(
        model_id=item.model_id,
        name=item.name,
        base_model=item.base_model,
        status=_status(execution, training, endpoint),
        training_status=training_status(training),
        instance_type=item.instance_type,
        hyperparameters=item.hyperparameters,
        dataset=item.dataset,
        metrics=metrics,
        progress_percent=100.0 if completed else progress,
        eta_seconds=eta(training, seconds, progress),
        max_cost_usd=float(item.max_cost_usd),
        cost_usd=cost_so_far(seconds, float(item.hourly_usd)),
        endpoint_name=item.endpoint_name,
        endpoint_status=endpoint["EndpointStatus"] if endpoint else None,
        agent_node_model=AgentNodeModel(model_id=item.endpoint_name),
        error=execution.get("error") or ("Endpoint.Failed" if endpoint_failure else None),
        cause=execution.get("cause") or endpoint_failure,
        created_at=item.created_at,
        created_by=item.created_by,
    )
