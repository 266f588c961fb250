"""The IAM session policy that confines a request's DynamoDB credentials to one tenant's partitions.

Passed as `Policy` to `sts:AssumeRole` (it can only narrow the role's own permissions): item operations only
where every partition key starts with `TENANT#<id>`, and no `Scan`, which `LeadingKeys` cannot constrain.
STS accepts at most 2,048 characters of session policy (sent as compact JSON): see `MAX_SESSION_POLICY_CHARS`.
"""

from __future__ import annotations

from typing import Any

from shared.store.context import TenantContext, tenant_partition

MAX_SESSION_POLICY_CHARS = 2048

TENANT_ITEM_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)


def tenant_session_policy(tenant: TenantContext, table_arns: list[str]) -> dict[str, Any]:
    partition = tenant_partition(tenant.tenant_id)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TenantItemsOnly",
                "Effect": "Allow",
                "Action": list(TENANT_ITEM_ACTIONS),
                "Resource": sorted(table_arns),
                "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [partition, f"{partition}#*"]}},
            },
            # Every table: shorter than listing them again, and no session of a tenant scans anything.
            {"Sid": "NoScan", "Effect": "Deny", "Action": "dynamodb:Scan", "Resource": "*"},
        ],
    }
