"""The CDK app: `make synth` (or `cdk synth`) runs this file; everything derives from the catalog and the config."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# `python infra/app.py` puts infra/ first on sys.path, where infra/constructs would shadow the constructs library.
_INFRA_DIR = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _INFRA_DIR]
sys.path.insert(0, str(_INFRA_DIR.parent))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from infra.config import ConfigError  # noqa: E402
from infra.platform_app import build_app  # noqa: E402


def main() -> int:
    try:
        app = build_app()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
