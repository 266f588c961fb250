"""`forge hooks`: webhook endpoints, and a signed test delivery as a sender would send it."""

from __future__ import annotations

import json
import time
import uuid

import click

from cli.api import ApiClient
from cli.app import ForgeGroup, all_pages, emit, invocation, json_argument, table
from cli.config import Profile
from cli.workflows import resolve_workflow


@click.group(cls=ForgeGroup)
def hooks() -> None:
    """Webhook endpoints that start a workflow for each signed delivery."""


@hooks.command("list")
def list_hooks() -> None:
    items = all_pages("/v1/hooks")
    emit(items, lambda rows: table(rows, ["hook_id", "name", "workflow_id", "scheme", "url"]))


@hooks.command("get")
@click.argument("hook")
def get_hook(hook: str) -> None:
    """An endpoint (HOOK: id or name); `-q` prints its URL's path."""
    found = invocation().client().get(f"/v1/hooks/{_hook_id(hook)}")
    emit(found, quiet=found["url"])


@hooks.command("create")
@click.argument("workflow")
@click.option("--name", required=True)
@click.option("--scheme", type=click.Choice(["standard", "github"]), default="standard", show_default=True)
def create_hook(workflow: str, name: str, scheme: str) -> None:
    """An endpoint for WORKFLOW (id or name); its secret is shown this once (`-q` prints only the secret)."""
    body = {"workflow_id": resolve_workflow(workflow), "name": name, "scheme": scheme}
    hook = invocation().client().post("/v1/hooks", body)
    emit(
        hook,
        lambda h: f"{h['hook_id']}: POST {h['url']}\nsecret (shown once): {h['secret']}",
        quiet=hook["secret"],
    )


@hooks.command("send")
@click.argument("hook")
@click.option("--body", "body_value", default="{}", help="The delivery's JSON body: JSON, @file or @-.")
@click.option("--secret", envvar="FORGE_HOOK_SECRET", required=True, help="The hook's secret (or FORGE_HOOK_SECRET).")
@click.option("--scheme", type=click.Choice(["standard", "github"]), default="standard", show_default=True)
@click.option("--message-id", help="The delivery's id (webhook-id); the same id again is a replay.")
@click.option(
    "--delivery-url",
    envvar="FORGE_DELIVERY_URL",
    help="Where senders deliver: in the cloud the stack output DeliveryUrl (the webhooks function's URL); by "
    "default the API's URL, which serves deliveries too (forge dev: the one port). Sent no credential.",
)
def send_delivery(
    hook: str, body_value: str, secret: str, scheme: str, message_id: str | None, delivery_url: str | None
) -> None:
    """Sign a test delivery with the secret of HOOK (id or name) and send it, as the sender would."""
    from shared.triggers.webhook_signatures import sign_github_webhook, sign_standard_webhook

    body = json.dumps(json_argument(body_value)).encode()
    headers = {"content-type": "application/json"}
    if scheme == "github":
        headers["x-hub-signature-256"] = sign_github_webhook(secret, body)
        headers["x-github-delivery"] = message_id or str(uuid.uuid4())
    else:
        delivery_id = message_id or f"msg_{uuid.uuid4().hex}"
        timestamp = int(time.time())
        headers.update(
            {
                "webhook-id": delivery_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign_standard_webhook(secret, delivery_id, timestamp, body),
            }
        )
    path = f"/v1/hooks/{_hook_id(hook)}"
    sender = ApiClient(Profile(base_url=delivery_url, credential="")) if delivery_url else invocation().client()
    answer = sender.request("POST", path, content=body, headers=headers)
    emit(answer, quiet=(answer or {}).get("execution_id"))


def _hook_id(hook: str) -> str:
    return next((str(h["hook_id"]) for h in all_pages("/v1/hooks") if hook in (h["hook_id"], h["name"])), hook)
