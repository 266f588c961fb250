"""Wraps one feature's router as a Lambda handler behind API Gateway."""

from __future__ import annotations

from fastapi import APIRouter
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from shared.http.app import create_api
from shared.problems import PROBLEM_CONTENT_TYPE


def http_lambda_handler(router: APIRouter) -> Mangum:
    # Problem documents are JSON text; without this Mangum would base64-encode them for API Gateway.
    return Mangum(
        create_api([router]), lifespan="off", text_mime_types=[*DEFAULT_TEXT_MIME_TYPES, PROBLEM_CONTENT_TYPE]
    )
