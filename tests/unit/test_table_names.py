"""A table's deployed name is declared once, by its spec in shared/resources.py: the settings only validate the
variable the spec names, and what reads a name (models, scoped credentials) reads it through the spec."""

from __future__ import annotations

import pytest

from shared.resources import TABLES
from shared.settings import PlatformSettings, get_settings
from shared.store.tenant_credentials import tenant_table_arns

ROLE = "arn:aws:iam::111122223333:role/tenant-data"


def test_the_settings_validate_exactly_the_variables_of_the_table_specs() -> None:
    table_fields = {name for name in PlatformSettings.model_fields if name.startswith("table_")}

    assert table_fields == {spec.env_var.removeprefix("FORGE_").lower() for spec in TABLES}


def test_scoped_credentials_reach_the_tables_the_specs_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in TABLES:
        monkeypatch.setenv(spec.env_var, f"deployed-{spec.key}")
    get_settings.cache_clear()
    try:
        arns = tenant_table_arns(ROLE)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    assert [arn.rsplit("/", 1)[1] for arn in arns] == [f"deployed-{spec.key}" for spec in TABLES]
