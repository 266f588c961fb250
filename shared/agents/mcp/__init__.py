"""MCP both ways (docs/mcp.md): the tenant's published workflows served as MCP tools (`server`), and the MCP servers
a tenant registers, whose tools agents call (`registry`, `client`)."""
