"""The tenant's node library: presets a marketplace install added (a connector's operations, an agent), in the
workflows table, one partition per tenant. A `preset` node of a workflow names one by id; the compiler turns it into
the node it stands for (shared/workflows/nodes/preset.py)."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.resources import WORKFLOWS_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import TenantScopedItem, TenantScopedRepository

PRESET_ID_PATTERN = r"^[a-z0-9-]{1,64}\.[a-z0-9-]{1,64}\.[A-Za-z0-9_-]{1,128}$"


class NodePresetItem(TenantScopedItem):
    class Meta:
        table_name = model_table_name(WORKFLOWS_TABLE)

    preset_id = UnicodeAttribute()
    title = UnicodeAttribute()
    # The node type the preset compiles to: `http_request` or `agent`.
    node_type = UnicodeAttribute()
    # http_request: {method, server_url, path, parameters, has_body, credential}; agent: the agent node's parameters.
    template = JSONAttribute()
    # The values a node of this preset takes (a JSON Schema object): what the builder shows as the node's form.
    form_schema = JSONAttribute()
    # `<namespace>/<name>@<version>` of the install that added it.
    source = UnicodeAttribute()
    install_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class NodePresets(TenantScopedRepository[NodePresetItem]):
    """The tenant's node presets by id (the sort key)."""

    model = NodePresetItem
    collection = "NODEPRESET"
