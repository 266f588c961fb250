"""`forge` as a tenant uses it against a running `forge dev`: every command, its --json, its exit codes
(0 done, 1 the API refused, with the problem's title and detail, 2 a usage error). One platform for the module."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devserver.subprocess_platform import FORGE, LocalPlatform

pytestmark = pytest.mark.e2e

GREETING: dict[str, Any] = {
    "name": "greeting",
    "nodes": [
        {"id": "start", "type": "manual"},
        {"id": "greet", "type": "transform", "params": {"expression": "{'greeting': 'Hello ' & $states.input.name}"}},
    ],
    "edges": [{"from": "start", "to": "greet"}],
}
FAILING = {
    "name": "failing",
    "nodes": [
        {"id": "start", "type": "manual"},
        {"id": "boom", "type": "fail", "params": {"error": "Boom", "cause": "as designed"}},
    ],
    "edges": [{"from": "start", "to": "boom"}],
}
SLOW = {
    "name": "slow",
    "nodes": [{"id": "start", "type": "manual"}, {"id": "nap", "type": "wait", "params": {"seconds": 600}}],
    "edges": [{"from": "start", "to": "nap"}],
}
INTAKE = {
    "name": "intake",
    "nodes": [
        {"id": "start", "type": "webhook"},
        {"id": "check", "type": "transform", "params": {"expression": "{'order': $states.input.body.order}"}},
    ],
    "edges": [{"from": "start", "to": "check"}],
}
TICKER = {
    "name": "ticker",
    "nodes": [
        {"id": "start", "type": "schedule", "params": {"expression": "rate(1 hour)"}},
        {"id": "tick", "type": "transform", "params": {"expression": "{'at': $states.input.schedule.scheduled_time}"}},
    ],
    "edges": [{"from": "start", "to": "tick"}],
}
REFUND = {
    "name": "refund",
    "nodes": [
        {"id": "start", "type": "manual"},
        {"id": "sign_off", "type": "approval", "params": {"message": "Refund", "expires_in_seconds": 3600}},
    ],
    "edges": [{"from": "start", "to": "sign_off"}],
}


@dataclass
class Forge:
    platform: LocalPlatform
    config_home: Path
    workdir: Path

    def __call__(
        self, *args: str, stdin: str | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "FORGE_"))}
        environment.update({"XDG_CONFIG_HOME": str(self.config_home), "NO_COLOR": "1"})
        return subprocess.run(
            [str(FORGE), *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=cwd or self.workdir,
            env=environment,
            timeout=120,
            check=False,
        )

    def ok(self, *args: str, stdin: str | None = None) -> str:
        done = self(*args, stdin=stdin)
        assert done.returncode == 0, f"forge {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def file(self, name: str, document: dict[str, Any]) -> str:
        path = self.workdir / name
        path.write_text(json.dumps(document))
        return str(path)

    def local_login(self, *args: str) -> str:
        state_dir = str(self.platform.state_dir)
        return self.ok("login", "--local", "--url", self.platform.url, "--state-dir", state_dir, *args)


@pytest.fixture(scope="module")
def forge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forge]:
    platform = LocalPlatform(state_dir=tmp_path_factory.mktemp("forge-state"))
    platform.start()
    cli = Forge(platform, tmp_path_factory.mktemp("config"), tmp_path_factory.mktemp("work"))
    cli.ok("--profile", "admin", "login", "--local", "--url", platform.url, "--state-dir", str(platform.state_dir),
           "--platform-admin")  # fmt: skip
    cli.ok("--profile", "admin", "tenants", "create", "acme", "--name", "Acme", "--tier", "professional",
           "--owner", "ada")  # fmt: skip
    cli.local_login("--tenant", "acme", "--subject", "ada", "--role", "owner")
    yield cli
    platform.stop()


def test_login_keeps_a_profile_per_environment_readable_only_by_the_user(forge: Forge) -> None:
    path = forge.config_home / "nexus-forge" / "profiles.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    profiles = json.loads(path.read_text())
    assert {"default", "admin"} <= set(profiles)
    assert {profile["base_url"] for profile in profiles.values()} == {forge.platform.url}
    assert [t["slug"] for t in forge.json("--profile", "admin", "tenants", "list")] == ["acme"]
    assert forge("tenants", "list").returncode == 1  # the default profile is acme's owner, not a platform admin


def test_login_prints_no_credential_and_keeps_none_the_api_refuses(forge: Forge) -> None:
    out = forge.local_login("--tenant", "acme", "--subject", "ada", "--role", "viewer")
    credential = json.loads((forge.config_home / "nexus-forge" / "profiles.json").read_text())["default"]["credential"]
    assert credential not in out and "logged in as ada" in out
    forge.local_login("--tenant", "acme", "--subject", "ada", "--role", "owner")

    refused = forge("--profile", "bogus", "login", "--url", forge.platform.url, "--with-token", stdin="nfk.not.a.key\n")
    assert refused.returncode == 1 and "401" in refused.stderr
    assert "bogus" not in json.loads((forge.config_home / "nexus-forge" / "profiles.json").read_text())
    missing = forge("--profile", "bogus", "workflows", "list")
    assert missing.returncode == 1 and "forge login" in missing.stderr


def test_token_from_another_directory_is_accepted_and_never_made_with_a_key_of_its_own(
    forge: Forge, tmp_path: Path
) -> None:
    token = forge("token", "--platform-admin", "--state-dir", str(forge.platform.state_dir), cwd=tmp_path)
    assert token.returncode == 0
    me = httpx.get(f"{forge.platform.url}/v1/me", headers={"authorization": f"Bearer {token.stdout.strip()}"})
    assert me.status_code == 200
    elsewhere = forge("token", "--platform-admin", "--state-dir", str(tmp_path / ".forge"), cwd=tmp_path)
    assert elsewhere.returncode == 1 and "start `forge dev` first" in elsewhere.stderr
    assert not (tmp_path / ".forge").exists()


def test_a_usage_error_exits_2(forge: Forge) -> None:
    assert forge("workflows", "diff", "greeting").returncode == 2
    assert forge("schedules", "pause").returncode == 2
    assert forge("no-such-command").returncode == 2


def test_workflows_validate_push_publish_diff_rollback(forge: Forge) -> None:
    path = forge.file("greeting.json", GREETING)
    assert "valid: " in forge.ok("workflows", "validate", path)
    broken = forge("workflows", "validate", forge.file("broken.json", {**GREETING, "edges": [{"from": "start"}]}))
    assert broken.returncode == 1 and "(422)" in broken.stderr and "edges" in broken.stderr

    workflow_id = forge.ok("workflows", "push", path, "-q").strip()
    assert forge.ok("workflows", "publish", "greeting", "--note", "first", "-q").strip() == "1"
    changed = {**GREETING, "nodes": [GREETING["nodes"][0], {**GREETING["nodes"][1], "name": "Greet"}]}
    assert forge.ok("workflows", "push", forge.file("greeting.json", changed), "-q").strip() == workflow_id
    assert forge.ok("workflows", "publish", workflow_id, "-q").strip() == "2"

    assert "nodes changed: greet (name)" in forge.ok("workflows", "diff", "greeting", "--from", "1", "--to", "2")
    assert forge.json("workflows", "diff", "greeting", "--from", "1", "--to", "2")["nodes_changed"]
    assert "version 1 is live" in forge.ok("workflows", "rollback", "greeting", "--to", "1")
    assert forge.json("workflows", "get", "greeting")["live_version"] == 1
    listed = forge.json("workflows", "list")
    assert [(w["id"], w["name"]) for w in listed if w["name"] == "greeting"] == [(workflow_id, "greeting")]
    unknown = forge("workflows", "get", "no-such-workflow")
    assert unknown.returncode == 1 and "(404)" in unknown.stderr


def test_run_wait_shows_each_node_as_it_finishes_and_the_output(forge: Forge) -> None:
    forge.ok("workflows", "push", forge.file("greeting.json", GREETING))
    forge.ok("workflows", "publish", "greeting")
    input_path = forge.file("input.json", {"name": "Ada"})
    shown = forge.ok("run", "greeting", "--input", f"@{input_path}", "--wait")
    assert shown.index("start") < shown.index("greet") < shown.index("SUCCEEDED")
    assert '"greeting": "Hello Ada"' in shown
    record = forge.json("run", "greeting", "--input", '{"name": "Grace"}', "--wait")
    assert record["status"] == "SUCCEEDED" and record["output"] == {"greeting": "Hello Grace"}

    forge.ok("workflows", "push", forge.file("failing.json", FAILING))
    forge.ok("workflows", "publish", "failing")
    failed = forge("run", "failing", "--wait")
    assert failed.returncode == 1 and "FAILED: Boom: as designed" in failed.stdout


def test_executions_list_get_wait_logs_cancel_rerun(forge: Forge) -> None:
    forge.ok("workflows", "push", forge.file("greeting.json", GREETING))
    forge.ok("workflows", "publish", "greeting")
    execution_id = forge.ok("run", "greeting", "--input", '{"name": "Lin"}', "-q").strip()
    assert "SUCCEEDED" in forge.ok("executions", "wait", execution_id)
    assert forge.ok("executions", "get", execution_id, "-q").strip() == "SUCCEEDED"
    assert execution_id in forge.ok("executions", "list", "--workflow", "greeting", "-q").split()
    logs = forge.json("executions", "logs", execution_id)
    assert [step["node_id"] for step in logs["steps"]] == ["start", "greet"]
    rerun = forge.json("executions", "rerun", execution_id, "--wait")
    assert rerun["status"] == "SUCCEEDED" and rerun["trigger"] == "rerun"

    forge.ok("workflows", "push", forge.file("slow.json", SLOW))
    forge.ok("workflows", "publish", "slow")
    slow = forge.ok("run", "slow", "-q").strip()
    assert "stop requested" in forge.ok("executions", "cancel", slow)
    waited = forge("executions", "wait", slow)
    assert waited.returncode == 1 and "ABORTED" in waited.stdout


def test_hooks_create_and_send_a_signed_delivery(forge: Forge) -> None:
    forge.ok("workflows", "push", forge.file("intake.json", INTAKE))
    forge.ok("workflows", "publish", "intake")
    secret = forge.ok("hooks", "create", "intake", "--name", "orders", "-q").strip()
    assert secret.startswith("whsec_")
    body = '{"order": 42}'
    first = forge.json("hooks", "send", "orders", "--secret", secret, "--body", body, "--message-id", "msg_1")
    again = forge.json("hooks", "send", "orders", "--secret", secret, "--body", body, "--message-id", "msg_1")
    assert first["replayed"] is False and again == {**again, "execution_id": first["execution_id"], "replayed": True}
    # Sent to the delivery URL (forge dev: its one port) without the profile's credential, as a sender would.
    third = forge.json(
        "hooks", "send", "orders", "--secret", secret, "--body", body, "--delivery-url", forge.platform.url
    )
    assert third["replayed"] is False and third["execution_id"] != first["execution_id"]
    assert forge.json("executions", "wait", first["execution_id"])["output"] == {"order": 42}
    forged = forge("hooks", "send", "orders", "--secret", "whsec_" + "A" * 44, "--body", body)
    assert forged.returncode == 1 and "(401)" in forged.stderr
    assert [h["name"] for h in forge.json("hooks", "list")] == ["orders"]


def test_schedules_create_pause_resume_delete_and_a_workflows_own(forge: Forge) -> None:
    forge.ok("workflows", "push", forge.file("ticker.json", TICKER))
    forge.ok("workflows", "publish", "ticker")
    own = forge.json("schedules", "pause", "--workflow", "ticker")
    assert own["managed_by"] == "workflow" and own["enabled"] is False
    assert forge.json("schedules", "get", own["schedule_id"])["enabled"] is False
    refused = forge("schedules", "pause", own["schedule_id"])
    assert refused.returncode == 1 and "(409)" in refused.stderr and "schedule/pause" in refused.stderr
    assert forge.json("schedules", "resume", "--workflow", "ticker")["enabled"] is True

    made = forge.json(
        "schedules", "create", "ticker", "--name", "mornings", "--expression", "cron(30 8 ? * MON-FRI *)",
        "--timezone", "Europe/Berlin", "--input", '{"report": "uptime"}',
    )  # fmt: skip
    assert made["next_fire_times"] and made["managed_by"] == "api"
    assert "paused" in forge.ok("schedules", "pause", made["schedule_id"])
    assert forge.json("schedules", "resume", made["schedule_id"])["enabled"] is True
    assert set(forge.ok("schedules", "list", "-q").split()) == {own["schedule_id"], made["schedule_id"]}
    forge.ok("schedules", "delete", made["schedule_id"])
    assert forge.ok("schedules", "list", "-q").split() == [own["schedule_id"]]


def test_approvals_list_approve_reject(forge: Forge) -> None:
    forge.ok("workflows", "push", forge.file("refund.json", REFUND))
    forge.ok("workflows", "publish", "refund")
    approved = forge.ok("run", "refund", "-q").strip()
    (approval_id,) = forge.ok("approvals", "list", "--execution", approved, "--wait", "60", "-q").split()
    assert forge.json("approvals", "get", approval_id)["message"] == "Refund"
    assert forge.ok("approvals", "approve", approval_id, "--comment", "ok", "-q").strip() == "approved"
    assert forge.json("executions", "wait", approved)["output"]["approval"]["decision"] == "approved"
    again = forge("approvals", "reject", approval_id)
    assert again.returncode == 1 and "(409)" in again.stderr

    rejected = forge.ok("run", "refund", "-q").strip()
    (other,) = forge.ok("approvals", "list", "--execution", rejected, "--wait", "60", "-q").split()
    assert forge.ok("approvals", "reject", other, "-q").strip() == "rejected"
    assert forge("executions", "wait", rejected).returncode == 1
    assert approval_id in forge.ok("approvals", "list", "--status", "approved", "-q").split()


def test_keys_create_rotate_revoke_and_a_key_as_a_profile(forge: Forge) -> None:
    secret = forge.ok("keys", "create", "ci", "--role", "viewer", "-q").strip()
    assert secret.startswith("nfk.")
    forge.ok("--profile", "ci", "login", "--url", forge.platform.url, "--with-token", stdin=secret + "\n")
    assert any(w["name"] == "greeting" for w in forge.json("--profile", "ci", "workflows", "list"))
    viewer_push = forge("--profile", "ci", "workflows", "push", forge.file("greeting.json", GREETING))
    assert viewer_push.returncode == 1 and "(403)" in viewer_push.stderr

    key_id = next(k["key_id"] for k in forge.json("keys", "list") if k["name"] == "ci")
    rotated = forge.ok("keys", "rotate", key_id, "-q").strip()
    assert rotated.startswith("nfk.") and rotated != secret
    assert forge("--profile", "ci", "workflows", "list").returncode == 1
    assert forge.json("keys", "revoke", key_id)["revoked_at"]
