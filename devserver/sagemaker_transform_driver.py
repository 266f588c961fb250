"""Runs one batch transform with a job's own Python: argv = inference.py, model dir, input dir, output dir, content
type. Each input file's lines are requests (SplitType Line); `<file>.out` gets one answer a line, as SageMaker's
batch transform assembles them (AssembleWith Line). Only the standard library: it runs in the job's venv."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def main() -> int:
    script, model_dir, input_dir, output_dir, content_type = sys.argv[1:6]
    spec = importlib.util.spec_from_file_location("inference", script)
    if spec is None or spec.loader is None:
        print(f"cannot load {script}", file=sys.stderr)
        return 1
    inference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(inference)
    model = inference.model_fn(model_dir)
    for source in sorted(Path(input_dir).rglob("*")):
        if not source.is_file():
            continue
        answers = []
        for line in source.read_text().splitlines():
            if line.strip():
                request = inference.input_fn(line, content_type)
                answers.append(inference.output_fn(inference.predict_fn(request, model), content_type))
        target = Path(output_dir) / f"{source.relative_to(input_dir)}.out"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(f"{answer}\n" for answer in answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
