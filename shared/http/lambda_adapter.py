"""Wraps one feature's router as a Lambda handler behind API Gateway."""

from __future__ import annotations

from fastapi import APIRouter
from mangum import Mangum

from shared.http.app import create_api


def http_lambda_handler(router: APIRouter) -> Mangum:
    return Mangum(create_api([router]), lifespan="off")
