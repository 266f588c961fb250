"""MCP servers a tenant registered (docs/mcp.md), in the workflows table beside its credentials, one partition per
tenant: where the server is, which tenant credential authenticates to it (by name: the secret stays with the
credential) and the tools its last refresh discovered."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.resources import WORKFLOWS_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import TenantScopedItem, TenantScopedRepository

_TABLE = model_table_name(WORKFLOWS_TABLE)


class McpServerItem(TenantScopedItem):
    class Meta:
        table_name = _TABLE

    server_id = UnicodeAttribute()
    name = UnicodeAttribute()
    url = UnicodeAttribute()
    credential = UnicodeAttribute(null=True)
    # The tools' MCP descriptions (name, description, inputSchema, ...) as the last refresh found them.
    tools = JSONAttribute(null=True)
    refreshed_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()


class McpServers(TenantScopedRepository[McpServerItem]):
    """The tenant's MCP servers by id (the sort key)."""

    model = McpServerItem
    collection = "MCPSERVER"
