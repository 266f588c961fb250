"""The session policy that confines a request's DynamoDB credentials to one tenant."""

from __future__ import annotations

from shared.auth.session_policy import tenant_session_policy
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
            {
                "Sid": "NoScan",
                "Effect": "Deny",
                "Action": "dynamodb:Scan",
                "Resource": [
                    "arn:aws:dynamodb:eu-west-1:111122223333:table/a",
                    "arn:aws:dynamodb:eu-west-1:111122223333:table/wf",
                ],
            },
        ],
    }
