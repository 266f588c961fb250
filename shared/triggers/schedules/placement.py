"""Where a tenant's schedules live in EventBridge Scheduler (group, region) and what their slots invoke."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from shared.catalog import dead_letter_queue_name, function_physical_name
from shared.resources import SCHEDULE_GROUPS
from shared.settings import get_settings
from shared.store.tenant_scoped import TenantContext

_GROUP_NAME_LIMIT = 64


@dataclass(frozen=True)
class SchedulerPlacement:
    """Where a tenant's schedules live in EventBridge Scheduler and what they invoke, from FORGE_SCHEDULE_GROUPS."""

    partition: str
    region: str
    account: str
    base_name: str

    @classmethod
    def from_settings(cls) -> SchedulerPlacement:
        arn_prefix = get_settings().require("schedule_groups")
        _, partition, _, region, account, resource = arn_prefix.split(":", 5)
        return cls(partition, region, account, resource.split("/", 1)[1])

    def in_region(self, region: str) -> SchedulerPlacement:
        """The same names in another region: where a schedule created by that region's API lives."""
        return replace(self, region=region)

    def group_name(self, tenant: TenantContext) -> str:
        """`<prefix>-sched-<tenant id>`; where a long environment name or a silo's prefix would make that longer
        than Scheduler's 64 characters, a 20-character digest of the tenant id stands in for it."""
        name = f"{self.base_name}-{tenant.tenant_id}"
        if len(name) <= _GROUP_NAME_LIMIT:
            return name
        return f"{self.base_name}-{hashlib.blake2b(tenant.tenant_id.encode(), digest_size=10).hexdigest()}"

    @property
    def prefix(self) -> str:
        return self.base_name.removesuffix(f"-{SCHEDULE_GROUPS.key}")

    @property
    def target_name(self) -> str:
        return function_physical_name(self.prefix, SCHEDULE_GROUPS.target_function)

    @property
    def target_arn(self) -> str:
        return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{self.target_name}"

    @property
    def dead_letter_arn(self) -> str:
        """Slots Scheduler could not deliver land in the target function's own dead-letter queue (alarmed)."""
        return f"arn:{self.partition}:sqs:{self.region}:{self.account}:{dead_letter_queue_name(self.target_name)}"

    @property
    def role_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{SCHEDULE_GROUPS.invoke_role_name(self.prefix)}"
