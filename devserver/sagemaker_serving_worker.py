"""One local SageMaker endpoint's model server: runs a job's `inference.py` in its own venv, the model loaded once.

Started by devserver/sagemaker_hosting.py with the job environment's Python, by path (that venv has none of the
platform's packages: this file imports only the standard library). Arguments: the code folder, the program
(`inference.py`) and the model dir. It writes one JSON line `{"ready": true}` (or `{"ready": false, "error"}`) once
`model_fn` has returned, then answers each request line `{"body", "content_type", "accept"}` with one line
`{"status", "body"}`, the body being `output_fn`'s text for a 200. Whatever the model's libraries print goes to
stderr: stdout is the protocol's alone.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback
from typing import Any, TextIO


def _answer(channel: TextIO, answer: dict[str, Any]) -> None:
    channel.write(json.dumps(answer) + "\n")
    channel.flush()


def _failure(error: Exception) -> dict[str, Any]:
    """An exception as the endpoint's non-2xx answer: its own status and body when it carries them (inference.py's
    EndpointError), a 500 otherwise."""
    status, body = getattr(error, "status", None), getattr(error, "body", None)
    if isinstance(status, int) and isinstance(body, dict):
        return {"status": status, "body": json.dumps(body)}
    return {"status": 500, "body": json.dumps({"error": {"message": f"{type(error).__name__}: {error}"}})}


def main(code: str, program: str, model_dir: str) -> int:
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.path.insert(0, code)
    try:
        spec = importlib.util.spec_from_file_location("inference", os.path.join(code, program))
        if spec is None or spec.loader is None:
            raise ImportError(f"{program} cannot be loaded from {code}")
        inference = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(inference)
        model = inference.model_fn(model_dir)
    except Exception:  # noqa: BLE001 -- the endpoint fails with the reason, whatever stopped the model loading
        _answer(protocol, {"ready": False, "error": traceback.format_exc(limit=-3)})
        return 1
    _answer(protocol, {"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        try:
            data = inference.input_fn(request["body"], request["content_type"])
            prediction = inference.predict_fn(data, model)
            _answer(protocol, {"status": 200, "body": inference.output_fn(prediction, request["accept"])})
        except Exception as error:  # noqa: BLE001 -- one request's failure is its answer, the endpoint serves on
            traceback.print_exc()
            _answer(protocol, _failure(error))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
