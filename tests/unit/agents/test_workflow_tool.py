"""A workflow exported as a tool: a name every format accepts, its description, an input schema taking any object."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.agents.tools.convert import read_tool, write_tool
from shared.agents.tools.format_names import ToolFormatName
from shared.agents.tools.workflow_tool import safe_tool_name, workflow_tool


@pytest.mark.parametrize(
    ("workflow_name", "tool_name"),
    [
        ("Send invoice (v2)", "Send_invoice_v2"),
        ("nightly-report", "nightly_report"),
        ("  Überweisung prüfen  ", "berweisung_pr_fen"),
        ("日本語", "workflow"),
        ("x" * 100, "x" * 64),
    ],
)
def test_a_workflow_name_is_made_safe_for_every_format(workflow_name: str, tool_name: str) -> None:
    assert safe_tool_name(workflow_name) == tool_name


def test_a_workflow_without_a_description_gets_one_that_says_what_the_tool_does() -> None:
    tool = workflow_tool({"name": "Send invoice", "nodes": []})

    assert tool.description == "Runs the workflow 'Send invoice' with the arguments as its input."
    assert tool.input_schema == {"type": "object", "properties": {}}


@pytest.mark.parametrize("format_name", list(ToolFormatName))
@settings(max_examples=50, deadline=None)
@given(name=st.text(min_size=1, max_size=200), description=st.none() | st.text(min_size=1, max_size=100))
def test_every_format_holds_a_workflow_tool_whole(format_name, name, description) -> None:
    tool = workflow_tool({"name": name, "description": description})

    written, dropped = write_tool(tool, format_name)
    back, _ = read_tool(written, format_name)

    assert dropped == []
    assert back == tool
