"""Any server that speaks OpenAI Chat Completions: Ollama (`http://127.0.0.1:11434/v1`), vLLM, llama.cpp's server.

The base URL is required and the key optional (sent as `Authorization: Bearer` when the node has a credential);
the conversion is openai_chat's. The output limit goes as `max_tokens`, which these servers read, and a context
overflow is recognised by OpenAI's code, llama.cpp's error type or the words vLLM and others use.
"""

from __future__ import annotations

from shared.agents.providers.openai_chat import ChatCompletionsProvider, compatible_context_too_long

PROVIDER = ChatCompletionsProvider(
    name="openai_compatible",
    default_base_url=None,
    max_tokens_field="max_tokens",
    context_too_long=compatible_context_too_long,
    key_required=False,
)
