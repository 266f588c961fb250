"""A tenant's tuning dataset: chat examples from its agents' remembered exchanges and from JSONL it uploads.

One example a line, `{"messages": [{"role": "system" | "user" | "assistant", "content": str}, ...]}`, the last message
the assistant's: what sagemaker/agent_tuning/train.py reads. Two sources:

- the tenant's agent memory (shared/agents/memory.py: each exchange a user prompt and the agent's final answer), read
  under the tenant's own payload prefix only. PII is excluded by rule: in a text that is a JSON object (an agent's
  prompt is often the workflow's input) the fields whose names carry personal data (`PII_FIELDS`, at any depth) are
  dropped, and in every text e-mail addresses and phone numbers are replaced by `[email]` and `[phone]`. An exchange
  holding something that looks like a credential is left out whole.
- uploaded JSONL: at most `MAX_UPLOAD_BYTES`, `MAX_EXAMPLES` lines of at most `MAX_LINE_BYTES`, each checked against
  the schema; a line that breaks it or holds a credential is refused, the problem naming the line and the field as
  `/body/examples/<line>/messages/<index>/content` (lines counted from 1).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from shared.problems import InvalidParam, ValidationFailed

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_LINE_BYTES = 32 * 1024
MAX_EXAMPLES = 10_000
MAX_MEMORY_EXCHANGES = 5_000
ROLES = frozenset({"system", "user", "assistant"})
# Field names that carry personal data, compared without case, `-` or `_`.
PII_FIELDS = frozenset(
    {
        "email",
        "emailaddress",
        "phone",
        "phonenumber",
        "mobile",
        "name",
        "firstname",
        "lastname",
        "fullname",
        "address",
        "streetaddress",
        "postcode",
        "zipcode",
        "dateofbirth",
        "dob",
        "birthdate",
        "ssn",
        "nationalid",
        "passport",
        "passportnumber",
        "iban",
        "cardnumber",
        "creditcard",
        "ipaddress",
        "ip",
    }
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{7,}\d(?!\w)")
# What a credential looks like, by its kind (the names are what a refusal says).
CREDENTIAL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a JSON Web Token", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")),
    ("a bearer token", re.compile(r"\bBearer\s+[\w.~+/-]{16,}", re.IGNORECASE)),
    ("an API key", re.compile(r"\b(sk-[\w-]{20,}|gh[pousr]_\w{30,}|xox[abprs]-[\w-]{10,}|AIza[\w-]{35})")),
    (
        "a password or secret assignment",
        re.compile(r"\b(password|passwd|secret|api[_-]?key|access[_-]?token)\s*[:=]\s*\S{6,}", re.IGNORECASE),
    ),
)


@dataclass(frozen=True)
class Dataset:
    """The examples and what was left out of the agent memory (exchanges with a credential)."""

    examples: list[list[dict[str, str]]]
    from_memory: int
    uploaded: int
    left_out: int

    def jsonl(self) -> bytes:
        return "".join(json.dumps({"messages": example}) + "\n" for example in self.examples).encode()


def credential_kind(text: str) -> str | None:
    """What kind of credential `text` holds, if it holds one."""
    return next((kind for kind, pattern in CREDENTIAL_PATTERNS if pattern.search(text)), None)


def _is_pii_field(name: str) -> bool:
    return name.lower().replace("_", "").replace("-", "") in PII_FIELDS


def _without_pii_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_pii_fields(item) for key, item in value.items() if not _is_pii_field(str(key))}
    if isinstance(value, list):
        return [_without_pii_fields(item) for item in value]
    return value


def without_pii(text: str) -> str:
    """`text` with its PII fields dropped (when it is a JSON object or list) and e-mails and phone numbers masked."""
    try:
        structured = json.loads(text)
    except ValueError:
        structured = None
    if isinstance(structured, dict | list):
        text = json.dumps(_without_pii_fields(structured), ensure_ascii=False)
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def memory_examples(exchanges: list[dict[str, Any]]) -> tuple[list[list[dict[str, str]]], int]:
    """Remembered exchanges as examples, PII excluded; those holding a credential are left out (and counted)."""
    examples, left_out = [], 0
    for exchange in exchanges:
        user, answer = exchange.get("user"), exchange.get("assistant")
        if not isinstance(user, str) or not isinstance(answer, str) or not user.strip() or not answer.strip():
            continue
        if credential_kind(user) or credential_kind(answer):
            left_out += 1
            continue
        examples.append([{"role": "user", "content": without_pii(user)}, {"role": "assistant", "content": answer}])
    return examples, left_out


def _line_problem(line: str, number: int) -> tuple[list[dict[str, str]] | None, InvalidParam | None]:
    field = f"/body/examples/{number}"
    if len(line.encode()) > MAX_LINE_BYTES:
        return None, InvalidParam(name=field, reason=f"a line is at most {MAX_LINE_BYTES} bytes")
    try:
        example = json.loads(line)
    except ValueError:
        return None, InvalidParam(name=field, reason="not a JSON object")
    messages = example.get("messages") if isinstance(example, dict) else None
    if not isinstance(example, dict) or set(example) != {"messages"} or not isinstance(messages, list) or not messages:
        return None, InvalidParam(name=field, reason='must be {"messages": [...]} with at least one message')
    for index, message in enumerate(messages):
        at = f"{field}/messages/{index}"
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            return None, InvalidParam(name=at, reason="a message is {role, content}")
        if message["role"] not in ROLES:
            return None, InvalidParam(name=f"{at}/role", reason=f"must be one of {', '.join(sorted(ROLES))}")
        if not isinstance(message["content"], str) or not message["content"].strip():
            return None, InvalidParam(name=f"{at}/content", reason="must be a non-empty string")
        kind = credential_kind(message["content"])
        if kind is not None:
            reason = f"holds {kind}: credentials and secrets never enter a dataset"
            return None, InvalidParam(name=f"{at}/content", reason=reason)
    if messages[-1]["role"] != "assistant":
        last = f"{field}/messages/{len(messages) - 1}/role"
        return None, InvalidParam(name=last, reason="the last message must be the assistant's")
    return [{"role": message["role"], "content": message["content"]} for message in messages], None


def uploaded_examples(jsonl: str) -> list[list[dict[str, str]]]:
    """The uploaded JSONL's examples, or ValidationFailed naming every refused line's field (the first of each)."""
    if len(jsonl.encode()) > MAX_UPLOAD_BYTES:
        raise ValidationFailed([InvalidParam(name="/body/examples", reason=f"at most {MAX_UPLOAD_BYTES} bytes")])
    lines = [(number, line) for number, line in enumerate(jsonl.splitlines(), start=1) if line.strip()]
    if len(lines) > MAX_EXAMPLES:
        raise ValidationFailed([InvalidParam(name="/body/examples", reason=f"at most {MAX_EXAMPLES} examples")])
    examples, problems = [], []
    for number, line in lines:
        example, problem = _line_problem(line, number)
        if problem is not None:
            problems.append(problem)
        elif example is not None:
            examples.append(example)
    if problems:
        raise ValidationFailed(problems, detail=f"{len(problems)} line(s) of the examples were refused")
    return examples


def build_dataset(memory: list[dict[str, Any]], jsonl: str) -> Dataset:
    """The dataset from a tenant's remembered exchanges (already read from its own prefix) and its upload."""
    uploaded = uploaded_examples(jsonl) if jsonl.strip() else []
    remembered, left_out = memory_examples(memory[:MAX_MEMORY_EXCHANGES])
    return Dataset(
        examples=[*remembered, *uploaded], from_memory=len(remembered), uploaded=len(uploaded), left_out=left_out
    )
