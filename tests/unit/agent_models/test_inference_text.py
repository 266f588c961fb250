"""sagemaker/agent_tuning/inference.py's text handling (no model needed): the request as chat messages, and an
output_schema answer cut after its first JSON object."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

from devserver.sagemaker_training import REPOSITORY


def _inference() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "agent_tuning_inference", REPOSITORY / "sagemaker/agent_tuning/inference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_schema_joins_the_system_prompt_and_tool_exchanges_are_written_as_text() -> None:
    request = {
        "system": "Be brief.",
        "messages": [
            {"role": "user", "content": [{"text": "Where is order 7?"}]},
            {"role": "assistant", "content": [{"toolUse": {"toolUseId": "1", "name": "lookup", "input": {"id": 7}}}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": "1", "content": [{"json": {"at": "Lyon"}}]}}]},
        ],
        "output_schema": {"type": "object"},
    }

    chat = _inference().chat_messages(request)

    assert chat[0]["role"] == "system"
    assert chat[0]["content"].startswith("Be brief.\nAnswer with one JSON object only")
    assert json.dumps({"type": "object"}) in chat[0]["content"]
    assert [message["role"] for message in chat[1:]] == ["user", "assistant", "user"]
    assert chat[2]["content"] == '(called tool lookup with {"id": 7})'
    assert "Lyon" in chat[3]["content"]


def test_an_answer_is_cut_after_its_first_json_object_braces_in_strings_and_escapes_respected() -> None:
    first_json_object = _inference().first_json_object

    assert first_json_object('{"a": "x}\\"", "b": {"c": 1}} and more') == ('{"a": "x}\\"", "b": {"c": 1}}', True)
    assert first_json_object('{"a": 1') == ('{"a": 1', False)
