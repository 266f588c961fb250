"""`forge workflows`: list, read, validate, push (create or update the draft), publish, diff and roll back."""

from __future__ import annotations

from typing import Any

import click

from cli.app import ForgeGroup, all_pages, emit, invocation, json_argument, table

DIFF_KEYS = ("nodes_added", "nodes_removed", "nodes_changed", "edges_added", "edges_removed")
WORKFLOW_COLUMNS = ["id", "name", "live_version", "latest_version", "updated_at"]


def resolve_workflow(reference: str) -> str:
    """A workflow's id from its id or its name (names are the tenant's to choose; the first match wins)."""
    for workflow in all_pages("/v1/workflows"):
        if reference in (workflow["id"], workflow["name"]):
            return str(workflow["id"])
    return reference  # unknown: the API's 404 names it


@click.group(cls=ForgeGroup)
def workflows() -> None:
    """Workflows of your tenant: the draft, its published versions and the live one."""


@workflows.command("list")
def list_workflows() -> None:
    """Every workflow of the tenant."""
    items = all_pages("/v1/workflows")
    emit(items, lambda rows: table(rows, WORKFLOW_COLUMNS), quiet="\n".join(item["id"] for item in items))


@workflows.command("get")
@click.argument("workflow")
def get_workflow(workflow: str) -> None:
    """A workflow with its draft definition (WORKFLOW: id or name)."""
    answer = invocation().client().get(f"/v1/workflows/{resolve_workflow(workflow)}")
    emit(answer, quiet=answer["id"])


@workflows.command("validate")
@click.argument("document", metavar="FILE")
def validate_workflow(document: str) -> None:
    """Validate a workflow document (@file, @- or JSON) without storing it: every problem is named."""
    report = invocation().client().post("/v1/workflows/validate", json_argument(_at(document)))
    emit(report, lambda r: f"valid: {r['states']} states, {r['definition_bytes']} bytes of ASL", quiet="valid")


@workflows.command("push")
@click.argument("document", metavar="FILE")
@click.option("--id", "workflow_id", help="The workflow to update; by default the one of the document's name.")
def push_workflow(document: str, workflow_id: str | None) -> None:
    """Create the workflow of a document, or replace the draft of the one with its name."""
    body = json_argument(_at(document))
    client = invocation().client()
    target = workflow_id or _by_name(str(body.get("name", "")))
    if target is None:
        answer = client.post("/v1/workflows", body)
        verb = "created"
    else:
        answer = client.request("PUT", f"/v1/workflows/{target}", json=body)
        verb = "updated the draft of"
    emit(answer, lambda w: f"{verb} {w['name']} ({w['id']}); `forge workflows publish {w['id']}`", quiet=answer["id"])


@workflows.command("publish")
@click.argument("workflow")
@click.option("--note", help="What changed, kept with the version.")
def publish_workflow(workflow: str, note: str | None) -> None:
    """Compile the draft and make it the live version."""
    body = {"note": note} if note else {}
    answer = invocation().client().post(f"/v1/workflows/{resolve_workflow(workflow)}/publish", body)
    emit(answer, lambda v: f"published version {v['version']} (live)", quiet=str(answer["version"]))


@workflows.command("diff")
@click.argument("workflow")
@click.option("--from", "from_version", type=int, required=True)
@click.option("--to", "to_version", type=int, required=True)
def diff_workflow(workflow: str, from_version: int, to_version: int) -> None:
    """What changed between two published versions."""
    path = f"/v1/workflows/{resolve_workflow(workflow)}/diff"
    answer = invocation().client().get(path, **{"from": from_version, "to": to_version})
    emit(answer, _render_diff)


@workflows.command("rollback")
@click.argument("workflow")
@click.option("--to", "version", type=int, required=True, help="The published version to make live again.")
def rollback_workflow(workflow: str, version: int) -> None:
    """Point the live alias back at an earlier version."""
    answer = invocation().client().post(f"/v1/workflows/{resolve_workflow(workflow)}/rollback", {"version": version})
    emit(answer, lambda w: f"{w['name']}: version {w['live_version']} is live", quiet=str(answer["live_version"]))


def _at(document: str) -> str:
    """A bare file name is read as `@file`."""
    return document if document.startswith(("@", "{")) else f"@{document}"


def _by_name(name: str) -> str | None:
    return next((str(w["id"]) for w in all_pages("/v1/workflows") if w["name"] == name), None)


def _render_diff(diff: dict[str, Any]) -> str:
    lines = [
        f"{key.replace('_', ' ')}: {', '.join(_described(item) for item in diff[key])}"
        for key in DIFF_KEYS
        if diff[key]
    ]
    lines += [_described(change) for change in diff.get("changes") or []]
    return "\n".join(lines) or "no change"


def _described(item: Any) -> str:
    if isinstance(item, dict) and "fields" in item:
        return f"{item['id']} ({', '.join(item['fields'])})"
    if isinstance(item, dict) and "from" in item:
        return f"{item['from']}.{item.get('port', 'out')} → {item['to']}"
    return str(item)
