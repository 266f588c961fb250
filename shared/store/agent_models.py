"""A tenant's custom agent models (docs/agent-models.md), in the workflows table beside the workflows that use them:
one partition per tenant, the model id the sort key."""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from shared.resources import WORKFLOWS_TABLE
from shared.store.tables import model_table_name
from shared.store.tenant_scoped import TenantScopedItem, TenantScopedRepository


class AgentModelItem(TenantScopedItem):
    """A tuning request and where its pipeline execution (named like its endpoint) stands."""

    class Meta:
        table_name = model_table_name(WORKFLOWS_TABLE)

    model_id = UnicodeAttribute()
    name = UnicodeAttribute()
    base_model = UnicodeAttribute()
    endpoint_name = UnicodeAttribute()
    execution_arn = UnicodeAttribute()
    instance_type = UnicodeAttribute()
    hourly_usd = NumberAttribute()
    max_cost_usd = NumberAttribute()
    hyperparameters = JSONAttribute()
    # {"from_memory", "uploaded", "left_out"}: where the examples came from and what was left out.
    dataset = JSONAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()


class AgentModels(TenantScopedRepository[AgentModelItem]):
    model = AgentModelItem
    collection = "AGENTMODEL"
