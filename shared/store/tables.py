"""The deployed name of a table of shared/resources.py, read from its spec's variable (the catalog grants it to the
functions that use the table; the settings validate it at cold start)."""

from __future__ import annotations

from shared.resources import TableSpec
from shared.settings import get_settings


def _setting(spec: TableSpec) -> str:
    return spec.env_var.removeprefix("FORGE_").lower()


def table_name(spec: TableSpec) -> str | None:
    """None in a function that was not granted the table."""
    name: str | None = getattr(get_settings(), _setting(spec))
    return name


def model_table_name(spec: TableSpec) -> str:
    """What a model is bound to: the table's name, or a placeholder where it was not granted (any call then fails)."""
    return table_name(spec) or f"unset-{_setting(spec).replace('_', '-')}"
