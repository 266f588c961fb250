"""Hypothesis strategies for conversations in Converse's shape: user and assistant messages alternating, a user
message's tool results before its text, an assistant's text before its tool uses (the order the agent loop keeps)."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st

from shared.agents.providers.contract import ContentBlock, Message

_NAME_CHARACTERS = string.ascii_letters + string.digits + "_-"
ids = st.text(alphabet=_NAME_CHARACTERS, min_size=1, max_size=24)
tool_names = st.builds(
    str.__add__, st.sampled_from(string.ascii_letters), st.text(alphabet=_NAME_CHARACTERS, max_size=30)
)
texts = st.text(min_size=1, max_size=40)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
tool_inputs = st.dictionaries(st.text(max_size=8), json_values, max_size=4)


def _tool_use(tool_use_id: str, name: str, tool_input: dict[str, Any]) -> ContentBlock:
    return {"toolUse": {"toolUseId": tool_use_id, "name": name, "input": tool_input}}


tool_uses = st.builds(_tool_use, ids, tool_names, tool_inputs)


def tool_results(*, one_text_block: bool, with_errors: bool) -> st.SearchStrategy[ContentBlock]:
    """`one_text_block`: a single text block (what OpenAI's text outputs hold), else any number of text blocks."""
    content = (
        st.text(max_size=40).map(lambda text: [{"text": text}])
        if one_text_block
        else st.lists(st.text(max_size=40).map(lambda text: {"text": text}), max_size=3)
    )
    statuses = st.sampled_from(["success", "error"]) if with_errors else st.just("success")
    return st.builds(
        lambda tool_use_id, blocks, status: {
            "toolResult": {"toolUseId": tool_use_id, "content": blocks, "status": status}
        },
        ids,
        content,
        statuses,
    )


def _text_block(text: str) -> ContentBlock:
    return {"text": text}


text_blocks = texts.map(_text_block)


def _message(role: str, first: st.SearchStrategy[ContentBlock], then: st.SearchStrategy[ContentBlock]) -> Any:
    """A message of `first` blocks and then `then` blocks, at least one block in all."""
    return st.one_of(
        st.builds(list.__add__, st.lists(first, min_size=1, max_size=3), st.lists(then, max_size=3)),
        st.builds(list.__add__, st.just([]), st.lists(then, min_size=1, max_size=3)),
    ).map(lambda content: {"role": role, "content": content})


def conversations(results: st.SearchStrategy[ContentBlock]) -> st.SearchStrategy[list[Message]]:
    pairs = st.tuples(_message("user", results, text_blocks), _message("assistant", text_blocks, tool_uses))
    return st.builds(
        lambda turns, end_with_user: [message for pair in turns for message in pair][: len(turns) * 2 - end_with_user],
        st.lists(pairs, min_size=1, max_size=3),
        st.booleans(),
    )
