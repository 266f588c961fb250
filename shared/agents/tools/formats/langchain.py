"""LangChain's StructuredTool as JSON: `{"name", "description", "args_schema": <JSON Schema>}`.

`args_schema` may be a JSON Schema dict (langchain-core ≥ 0.3); `convert_to_openai_tool` of such a tool gives the
OpenAI Chat Completions shape (`openai_chat`), with the schema's titles removed.
"""

from __future__ import annotations

from shared.agents.tools.formats.args_schema import args_schema_format

LANGCHAIN = args_schema_format(
    name="langchain",
    label="LangChain",
    reference="python.langchain.com/api_reference/core/tools/langchain_core.tools.structured.StructuredTool.html",
)
