"""`forge agent-models`: tune an agent model on the tenant's examples, list and read them, wait for one with a
progress bar until it is served (or refused), delete one."""

from __future__ import annotations

from typing import IO, Any

import click

from cli import ml
from cli.app import ForgeGroup, emit, invocation, json_argument, table

MODEL_COLUMNS = ["model_id", "name", "status", "progress_percent", "endpoint_name", "cost_usd", "created_at"]
ONGOING = {"training", "deploying"}


@click.group("agent-models", cls=ForgeGroup)
def agent_models() -> None:
    """The tenant's custom agent models: LoRA-tuned on its examples, served by an endpoint, used by agent nodes."""


@agent_models.command("create")
@click.argument("name")
@click.option(
    "--examples", type=click.File("r"), help="JSONL of {messages: [{role, content}]}, one a line (- : stdin)."
)
@click.option("--no-agent-memory", is_flag=True, help="Leave the tenant's agents' remembered exchanges out.")
@click.option("--hyperparameters", default="{}", help="JSON object (max_steps, learning_rate...), @file or @-.")
@click.option("--instance-type", help="The training instance type (ml.g5.xlarge otherwise).")
@click.option("--max-cost", "max_cost_usd", type=float, help="Cost cap of the training in USD.")
@click.option("--on-demand", is_flag=True, help="On-demand instead of managed spot training.")
def create_model(
    name: str,
    examples: IO[str] | None,
    no_agent_memory: bool,
    hyperparameters: str,
    instance_type: str | None,
    max_cost_usd: float | None,
    on_demand: bool,
) -> None:
    """Tune a model called NAME; prints its id (the job runs on)."""
    body: dict[str, Any] = {
        "name": name,
        "examples": examples.read() if examples else "",
        "include_agent_memory": not no_agent_memory,
        "hyperparameters": json_argument(hyperparameters),
        "spot": not on_demand,
    }
    if instance_type:
        body["instance_type"] = instance_type
    if max_cost_usd is not None:
        body["max_cost_usd"] = max_cost_usd
    model = invocation().client().post("/v1/agent-models", body)
    emit(model, lambda m: f"tuning {m['model_id']} on {m['instance_type']}", quiet=model["model_id"])


@agent_models.command("list")
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
def list_models(limit: int) -> None:
    """The tenant's agent models."""
    items = invocation().client().get("/v1/agent-models", limit=limit)["items"]
    emit(items, lambda rows: table(rows, MODEL_COLUMNS), quiet="\n".join(item["model_id"] for item in items))


@agent_models.command("get")
@click.argument("model_id")
def get_model(model_id: str) -> None:
    """A model: status, metrics, progress and ETA, its endpoint and the agent node's model that selects it."""
    model = invocation().client().get(f"/v1/agent-models/{model_id}")
    emit(model, quiet=model["status"])


@agent_models.command("wait")
@click.argument("model_id")
def wait_model(model_id: str) -> None:
    """Follow a model with a progress bar until it is ready or ended; exit 1 unless it is ready. Quiet: prints the
    endpoint name, the agent node's model_id."""
    client = invocation().client()
    model = ml.follow_progress(model_id, lambda: client.get(f"/v1/agent-models/{model_id}"), ongoing=ONGOING)
    emit(model, _outcome, quiet=model["endpoint_name"] if model["status"] == "ready" else None)
    if model["status"] != "ready":
        raise SystemExit(1)


@agent_models.command("delete")
@click.argument("model_id")
def delete_model(model_id: str) -> None:
    """Delete a model and its endpoint (refused while a live workflow version uses it)."""
    invocation().client().request("DELETE", f"/v1/agent-models/{model_id}")
    emit({"model_id": model_id, "deleted": True}, lambda _: f"deleted {model_id}", quiet=model_id)


def _outcome(model: dict[str, Any]) -> str:
    if model["status"] == "ready":
        return (
            f"{model['model_id']} ready: agent node model {{provider: sagemaker, model_id: {model['endpoint_name']}}}"
        )
    return f"{model['model_id']} {model['status']}: {model.get('error') or ''} {model.get('cause') or ''}".strip()
