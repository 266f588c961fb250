"""A tenant's tuning dataset: PII fields out, credentials refused, uploads bounded and schema-checked, one tenant's
remembered exchanges only."""

from __future__ import annotations

import json

import pytest

from shared.agent_models.dataset import MAX_EXAMPLES, MAX_LINE_BYTES, build_dataset, uploaded_examples
from shared.agents.memory import save_exchange, tenant_exchanges
from shared.problems import ValidationFailed
from shared.store.tenant_scoped import TenantContext


def _line(*messages: tuple[str, str]) -> str:
    return json.dumps({"messages": [{"role": role, "content": content} for role, content in messages]})


def _refused(jsonl: str) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as raised:
        uploaded_examples(jsonl)
    return {param.name: param.reason for param in raised.value.invalid_params}


def test_pii_fields_of_a_structured_prompt_are_dropped_and_emails_and_phones_masked() -> None:
    prompt = json.dumps({"order": 42, "customer": {"Email": "ann@example.com", "full_name": "Ann Lee", "tier": "gold"}})
    memory = [
        {"user": prompt, "assistant": "Order 42 ships today."},
        {"user": "Call me on +44 20 7946 0958 or write to bob@example.org", "assistant": "Noted."},
    ]

    dataset = build_dataset(memory, "")

    first, second = (example[0]["content"] for example in dataset.examples)
    assert json.loads(first) == {"order": 42, "customer": {"tier": "gold"}}
    assert second == "Call me on [phone] or write to [email]"
    assert dataset.from_memory == 2


def test_a_remembered_exchange_holding_a_credential_is_left_out() -> None:
    memory = [
        {"user": "use key AKIAIOSFODNN7EXAMPLE to list the bucket", "assistant": "Listed."},
        {"user": "What is 2 + 2?", "assistant": "4"},
    ]

    dataset = build_dataset(memory, "")

    assert [example[0]["content"] for example in dataset.examples] == ["What is 2 + 2?"]
    assert dataset.left_out == 1


@pytest.mark.parametrize(
    "secret",
    [
        "AKIAIOSFODNN7EXAMPLE",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345",
        "sk-proj-abcdefghijklmnopqrstuvwxyz",
        "password = hunter2hunter2",
    ],
)
def test_an_uploaded_line_holding_a_credential_is_refused_naming_its_line_and_field(secret: str) -> None:
    jsonl = "\n".join([_line(("user", "hi"), ("assistant", "hello")), _line(("user", "x"), ("assistant", secret))])

    refused = _refused(jsonl)

    assert list(refused) == ["/body/examples/2/messages/1/content"]
    assert "never enter a dataset" in refused["/body/examples/2/messages/1/content"]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("not json", "/body/examples/1"),
        (json.dumps({"messages": []}), "/body/examples/1"),
        (json.dumps({"messages": [{"role": "user", "content": "a"}], "email": "x@y.z"}), "/body/examples/1"),
        (_line(("robot", "a"), ("assistant", "b")), "/body/examples/1/messages/0/role"),
        (_line(("user", ""), ("assistant", "b")), "/body/examples/1/messages/0/content"),
        (_line(("user", "a"), ("user", "b")), "/body/examples/1/messages/1/role"),
        (json.dumps({"messages": [{"role": "user", "content": "a", "name": "Ann"}]}), "/body/examples/1/messages/0"),
    ],
)
def test_an_uploaded_line_outside_the_schema_is_refused_naming_the_field(line: str, field: str) -> None:
    assert list(_refused(line)) == [field]


def test_uploads_are_bounded_per_line_and_in_count() -> None:
    long_line = _line(("user", "a" * MAX_LINE_BYTES), ("assistant", "b"))
    many = "\n".join([_line(("user", "a"), ("assistant", "b"))] * (MAX_EXAMPLES + 1))

    assert list(_refused(long_line)) == ["/body/examples/1"]
    assert list(_refused(many)) == ["/body/examples"]


def test_a_valid_upload_and_the_memory_make_one_dataset_in_the_jobs_format() -> None:
    jsonl = _line(("system", "Be brief."), ("user", "Capital of France?"), ("assistant", "Paris."))

    dataset = build_dataset([{"user": "hi", "assistant": "hello"}], jsonl + "\n\n")

    lines = [json.loads(line) for line in dataset.jsonl().decode().splitlines()]
    assert lines == [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]},
        {
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Capital of France?"},
                {"role": "assistant", "content": "Paris."},
            ]
        },
    ]
    assert (dataset.from_memory, dataset.uploaded) == (1, 1)


def test_a_tenants_remembered_exchanges_never_include_another_tenants(emulated_aws: object) -> None:
    tenant_a, tenant_b = TenantContext("tenant0001"), TenantContext("tenant00012")
    save_exchange(tenant_a, "support", 5, [], "A's question", "A's answer")
    save_exchange(tenant_b, "support", 5, [], "B's question", "B's answer")

    exchanges = tenant_exchanges(tenant_a, limit=100)

    assert exchanges == [{"user": "A's question", "assistant": "A's answer"}]
