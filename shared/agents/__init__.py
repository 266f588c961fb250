"""AI agents: the agent node, its model providers and its tools (tool descriptions in every framework's format)."""
