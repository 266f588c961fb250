"""A bad configuration fails synthesis with one clear line, not a stack trace."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import ConfigError, load_config
from shared.resources import PROJECT_ROOT

pytestmark = pytest.mark.infra

ZONE = {"hosted_zone_id": "Z0123456789ABC", "hosted_zone_name": "example.com"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"regions": ["us-east-1", "us-east-1"]}, "regions: replica region 'us-east-1' is the primary region"),
        ({"regions": ["us-east-1", "mars-north-1"]}, "regions: unknown region 'mars-north-1'"),
        ({"regions": []}, "regions: the region list is empty"),
        ({"domain": {"name": "api..example.com", **ZONE}}, "domain.name: 'api..example.com' is not a domain name"),
        ({"domain": {"name": "api.other.org", **ZONE}}, "is not a subdomain of hosted zone 'example.com'"),
        ({"environment": "Prod!"}, "environment: String should match pattern"),
        ({"regoins": ["us-east-1"]}, "regoins: Extra inputs are not permitted"),
    ],
)
def test_a_bad_config_names_the_field_in_one_line(config, message):
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_defaults_are_one_dev_region():
    config = load_config(None)
    assert (config.regions, config.prefix, config.retain_data) == (("us-east-1",), "nexus-forge-dev", False)


def test_synthesis_of_a_bad_config_exits_with_the_message_only(tmp_path: Path):
    config_file = tmp_path / "forge.json"
    config_file.write_text(json.dumps({"regions": ["eu-west-1", "eu-west-1"]}))
    context = {"forge_config_file": str(config_file)}
    result = subprocess.run(
        [sys.executable, "infra/app.py"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path / "out"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    # One line of its own: Node.js may add its own notices around it.
    expected = "invalid Nexus Forge config: regions: replica region 'eu-west-1' is the primary region"
    assert expected in result.stderr.splitlines()
