"""Tool descriptions converted between MCP's shape and every framework's format (docs/tools.md)."""

from __future__ import annotations

from fastapi import APIRouter

from shared.agents.tools.convert import ToolConversionRequest, ToolConversionResult, convert_tool_request

router = APIRouter(tags=["tools"])


@router.post(
    "/v1/tools/convert",
    response_model=ToolConversionResult,
    summary="Convert a tool description between MCP, OpenAI, Anthropic, Bedrock, LangChain, AutoGen, CrewAI and "
    "Semantic Kernel; what the target cannot hold is listed as dropped or refused (422, with pointers)",
)
def convert_tool(request: ToolConversionRequest) -> ToolConversionResult:
    return convert_tool_request(request)
