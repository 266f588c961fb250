"""Names used across the CDK app, in one place."""

from __future__ import annotations

PROJECT = "nexus-forge"
CONFIG_CONTEXT_KEY = "forge"
CONFIG_FILE_CONTEXT_KEY = "forge_config_file"

STAGE_ENV_VAR = "FORGE_STAGE"
HEALTH_PATH = "/v1/health"
HTTP_ALIAS_NAME = "live"

# The Powertools for AWS Lambda (Python) v3 managed layer, published by AWS in every commercial region.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python313-x86_64"

# Stable CfnOutput logical ids, read by tests and by platform engineers' scripts.
OUTPUT_API_URL = "ApiUrl"
OUTPUT_API_ID = "ApiId"
OUTPUT_ALARM_TOPIC_ARN = "AlarmTopicArn"

# Commercial AWS regions that offer every service the platform uses (Lambda SnapStart for Python, TableV2 replicas).
KNOWN_REGIONS: frozenset[str] = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "sa-east-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-east-1",
        "me-central-1",
        "me-south-1",
        "il-central-1",
        "af-south-1",
    }
)
