"""SSM Parameter Store: reading one platform parameter, possibly in another region (the primary's)."""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError


@cache
def _regional_client(region: str) -> Any:
    import boto3

    return boto3.client("ssm", region_name=region, config=Config(retries={"mode": "standard", "max_attempts": 3}))


def parameter_value(arn: str) -> str | None:
    """The value of the parameter `arn` (arn:aws:ssm:<region>:<account>:parameter/<name>), read in its region; None
    when it does not exist (yet). Other failures raise botocore's errors."""
    region = arn.split(":")[3]
    name = "/" + arn.split(":parameter/", 1)[1]
    try:
        value: str = _regional_client(region).get_parameter(Name=name)["Parameter"]["Value"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    return value
