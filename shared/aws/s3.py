"""The S3 calls of execution payloads, marketplace artefacts and tenant purges, one function each; S3's refusals
arrive as botocore's ClientError with its error code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.aws.clients import s3_client


def put_json(bucket: str, key: str, data: bytes) -> None:
    s3_client().put_object(Bucket=bucket, Key=key, Body=data, ContentType="application/json")


def get_bytes(bucket: str, key: str) -> bytes:
    return s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()


def object_size(bucket: str, key: str) -> int:
    return int(s3_client().head_object(Bucket=bucket, Key=key)["ContentLength"])


def first_keys(bucket: str, prefix: str, limit: int) -> list[str]:
    """Up to `limit` keys under the prefix, in key order."""
    listed = s3_client().list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=limit)
    return [entry["Key"] for entry in listed.get("Contents", [])]


def keys_under(bucket: str, prefix: str) -> Iterator[str]:
    """Every key under the prefix, in key order, a page at a time."""
    for page in s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from (entry["Key"] for entry in page.get("Contents", []))


def delete_keys(bucket: str, keys: list[str]) -> list[dict[str, Any]]:
    """Deletes the objects (at most 1,000); the errors S3 reports for some of them (Key, Code, Message)."""
    objects: Any = [{"Key": key} for key in keys]
    answer = s3_client().delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    return [dict(error) for error in answer.get("Errors", [])]


def put_object(bucket: str, key: str, data: bytes, content_type: str) -> None:
    s3_client().put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)


def child_prefixes(bucket: str, prefix: str) -> list[str]:
    """The `<prefix><name>/` folders directly under the prefix, in key order."""
    folders: list[str] = []
    for page in s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        folders += [entry["Prefix"] for entry in page.get("CommonPrefixes", []) if "Prefix" in entry]
    return folders


def read_if_present(bucket: str, key: str) -> tuple[bytes, datetime] | None:
    """The object's bytes and last modification time, or None when there is no such key."""
    try:
        answer = s3_client().get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return answer["Body"].read(), answer["LastModified"]
