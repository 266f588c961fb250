"""Names used across the CDK app, in one place."""

from __future__ import annotations

PROJECT = "nexus-forge"
CONFIG_CONTEXT_KEY = "forge"
CONFIG_FILE_CONTEXT_KEY = "forge_config_file"

STAGE_ENV_VAR = "FORGE_STAGE"
HEALTH_PATH = "/v1/health"
HTTP_ALIAS_NAME = "live"

# What HTTP functions are told about identity and cursors (shared/settings.py reads them).
AUTH_ISSUER_ENV_VAR = "FORGE_AUTH_ISSUER"
AUTH_AUDIENCE_ENV_VAR = "FORGE_AUTH_AUDIENCE"
AUTH_JWKS_URL_ENV_VAR = "FORGE_AUTH_JWKS_URL"
AUTH_EXTRA_AUDIENCES_ENV_VAR = "FORGE_AUTH_EXTRA_AUDIENCES_PARAMETER"
CURSOR_SECRET_ENV_VAR = "FORGE_CURSOR_SECRET"  # noqa: S105 - a variable name, not a secret
# Mangum buffers each response in Lambda: event streams end after each batch (shared/executions/live.py).
HTTP_BUFFERED_ENVIRONMENT = {"FORGE_HTTP_BUFFERED": "true"}
# The Cognito group of platform admins (shared/settings.py's auth_platform_admin_group) and the custom attributes
# the app reads as `custom:tenant_id` and `custom:role` (shared/auth/tokens.py).
PLATFORM_ADMIN_GROUP = "platform-admins"
TENANT_ATTRIBUTES = ("tenant_id", "role")


def user_pool_parameter_names(prefix: str) -> tuple[str, str]:
    """The SSM parameters (in the primary region) holding the user pool id and the API's app client id."""
    return f"/{prefix}/auth/user-pool-id", f"/{prefix}/auth/client-id"


def extra_audiences_parameter_name(prefix: str) -> str:
    """The SSM parameter (in the primary region) listing further app clients the API accepts: the web console's."""
    return f"/{prefix}/auth/extra-audiences"


def platform_key_parameter_name(prefix: str) -> str:
    """The SSM parameter (in the primary region) holding the ARN of the multi-Region platform key."""
    return f"/{prefix}/kms/platform-key-arn"


def signing_key_parameter_name(prefix: str, key: str) -> str:
    """The SSM parameter (in the primary region) holding the ARN of a multi-Region signing key (SigningKeySpec)."""
    return f"/{prefix}/kms/{key}-key-arn"


def cursor_secret_name(prefix: str) -> str:
    """The Secrets Manager secret signing pagination cursors; one secret, replicated to every region."""
    return f"{prefix}/cursor-secret"


# The Powertools for AWS Lambda (Python) v3 managed layer, published by AWS in every commercial region.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python313-x86_64"

# Stable CfnOutput logical ids, read by tests and by platform engineers' scripts.
OUTPUT_API_URL = "ApiUrl"
OUTPUT_API_ID = "ApiId"
OUTPUT_DELIVERY_URL = "DeliveryUrl"
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


def marketplace_search_parameter_names(prefix: str) -> tuple[str, str]:
    """The SSM parameters (in the primary region) holding the marketplace search collection's endpoint and ARN."""
    return f"/{prefix}/marketplace/search-endpoint", f"/{prefix}/marketplace/search-collection-arn"


# IAM role names are at most 64 characters.
_MAX_ROLE_NAME = 64


def search_reader_role_name(prefix: str, region: str) -> str:
    """The search route's role (the `marketplace` function's) in a region: named (roles are global, so the name holds
    the region) so that the primary's search collection can grant it before that region's stack exists."""
    name = f"{prefix}-marketplace-{region}"
    if len(name) > _MAX_ROLE_NAME:
        raise ValueError(f"the search route's role name {name!r} is over {_MAX_ROLE_NAME} characters")
    return name


# The public webhook delivery route, served on the webhooks function's URL (infra/constructs/delivery_url.py).
DELIVERY_METHOD = "POST"
DELIVERY_PATH = "/v1/hooks/{hook_id}"
DELIVERY_ROUTE_KEY = f"{DELIVERY_METHOD} {DELIVERY_PATH}"
