"""`make bench`: runs every benchmark module in bench/ (or the ones named) and prints its numbers.

Each module `bench/<name>.py` has a `main() -> None` that prints a small report; targets are printed beside
the measurements, never asserted.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def benchmark_modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.iter_modules([str(Path(__file__).parent)]) if not info.name.startswith("_")
    )


def main(names: list[str]) -> int:
    selected = names or benchmark_modules()
    unknown = sorted(set(selected) - set(benchmark_modules()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(benchmark_modules())}", file=sys.stderr)
        return 2
    for name in selected:
        print(f"\n== bench/{name}.py ==", flush=True)
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
