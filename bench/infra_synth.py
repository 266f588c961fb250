"""CDK synthesis time for 1 and 3 regions, our dependency layer's zipped size, each function's own code zipped
(as bundled: sources and their bytecode)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from infra.bundles import build_dependency_layer, build_function_code
from infra.platform_app import CDK_JSON
from shared.catalog import CATALOG
from shared.resources import PROJECT_ROOT

SYNTH_TARGET_SECONDS = 90.0
LAYER_TARGET_MB = 25.0
FUNCTION_TARGET_MB = 1.0
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


def synth_seconds(regions: list[str]) -> float:
    context = json.loads(CDK_JSON.read_text())["context"] | {"forge": {"environment": "bench", "regions": regions}}
    with tempfile.TemporaryDirectory() as outdir:
        environment = os.environ | {"CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": outdir}
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "infra/app.py"], cwd=PROJECT_ROOT, env=environment, check=True, capture_output=True
        )
        return time.perf_counter() - started


def zipped_mb(files: list[tuple[Path, Path]]) -> float:
    with tempfile.TemporaryDirectory() as directory:
        archive = Path(directory) / "package.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as package:
            for source, name in files:
                package.write(source, str(name))
        return archive.stat().st_size / 1_000_000


def main() -> None:
    for regions in (REGIONS[:1], REGIONS):
        seconds = synth_seconds(regions)
        target = f"target for 3 regions <= {SYNTH_TARGET_SECONDS:.0f} s"
        print(f"synth, {len(regions)} region(s): {seconds:6.1f} s   ({target})")
    layer = build_dependency_layer()
    layer_files = [(path, path.relative_to(layer)) for path in sorted(layer.rglob("*")) if path.is_file()]
    layer_files = [(source, name) for source, name in layer_files if name.parts[0] == "python"]
    print(f"dependency layer, zipped: {zipped_mb(layer_files):6.2f} MB   (target <= {LAYER_TARGET_MB:.0f} MB)")
    for spec in CATALOG:
        with tempfile.TemporaryDirectory() as directory:
            bundle = Path(directory)
            build_function_code(spec.name, bundle)
            size = zipped_mb([(path, path.relative_to(bundle)) for path in sorted(bundle.rglob("*")) if path.is_file()])
        print(f"function code {spec.name:<16} zipped: {size:6.3f} MB   (target <= {FUNCTION_TARGET_MB:.0f} MB)")
