"""The session policy that confines a request's DynamoDB credentials to one tenant."""

from __future__ import annotations

import json

from shared.resources import TABLES
from shared.store.session_policy import MAX_SESSION_POLICY_CHARS, tenant_session_policy
from shared.store.tenant_scoped import TenantContext


def test_the_tenant_session_policy_document_is_exactly_this() -> None:
    tables = ["arn:aws:dynamodb:eu-west-1:111122223333:table/wf", "arn:aws:dynamodb:eu-west-1:111122223333:table/a"]
    assert tenant_session_policy(TenantContext("abc12345"), tables) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TenantItemsOnly",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:BatchGetItem",
                    "dynamodb:BatchWriteItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                ],
                "Resource": [
                    "arn:aws:dynamodb:eu-west-1:111122223333:table/a",
                    "arn:aws:dynamodb:eu-west-1:111122223333:table/wf",
                ],
                "Condition": {
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["TENANT#abc12345", "TENANT#abc12345#*"]}
                },
            },
            {"Sid": "NoScan", "Effect": "Deny", "Action": "dynamodb:Scan", "Resource": "*"},
        ],
    }


def test_the_policy_of_a_function_with_every_table_fits_sts_limit_with_long_names() -> None:
    """STS refuses a session policy over 2,048 characters: every table, a silo's long prefix, a long region."""
    prefix = "nexus-forge-production-5f0c2b9e"
    tables = [
        f"arn:aws-us-gov:dynamodb:ap-southeast-2:111122223333:table/{table.physical_name(prefix)}" for table in TABLES
    ]
    policy = json.dumps(tenant_session_policy(TenantContext("a" * 40), tables), separators=(",", ":"))
    assert len(policy) <= MAX_SESSION_POLICY_CHARS
