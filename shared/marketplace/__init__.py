"""The marketplace: declarative items (workflow templates, agents, connectors, MCP server listings), their signed
manifests and the scan that approves a version before anyone installs it (docs/marketplace.md)."""
