"""The EventBridge event envelope as a pydantic model, for functions that EventBridge rules invoke.

Powertools' event source data classes would do the same, but importing one loads every data class it has (about
50 ms of cold start); pydantic is loaded by these functions anyway.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventBridgeEvent(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str = ""
    detail_type: str = Field(alias="detail-type")
    source: str
    account: str = ""
    time: str = ""
    region: str = ""
    resources: list[str] = Field(default_factory=list)
    detail: dict[str, Any]
