"""Tool descriptions: MCP's Tool as the canonical shape, converted both ways to every framework's format.

What each format keeps, drops (reported) or refuses (422): docs/tools.md.
"""
