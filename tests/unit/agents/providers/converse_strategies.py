"""Hypothesis strategies for conversations in Converse's shape: user and assistant messages alternating, a user
message's tool results before its text, an assistant's text before its tool uses (the order the agent loop keeps)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from shared.agents.providers.contract import ContentBlock, Message

ids = st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True)
tool_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,30}", fullmatch=True)
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


def conversations(results: st.SearchStrategy[ContentBlock]) -> st.SearchStrategy[list[Message]]:
    user = st.builds(
        lambda found, said: {"role": "user", "content": found + said},
        st.lists(results, max_size=3),
        st.lists(texts.map(lambda text: {"text": text}), max_size=2),
    ).filter(lambda message: bool(message["content"]))
    assistant = st.builds(
        lambda said, calls: {"role": "assistant", "content": said + calls},
        st.lists(texts.map(lambda text: {"text": text}), max_size=2),
        st.lists(tool_uses, max_size=3),
    ).filter(lambda message: bool(message["content"]))
    return st.lists(st.tuples(user, assistant), min_size=1, max_size=3).flatmap(
        lambda pairs: st.booleans().map(
            lambda end_with_user: [message for pair in pairs for message in pair][: len(pairs) * 2 - end_with_user]
        )
    )
