"""JSONata for the emulation: moto's Step Functions executor parses JSONata states but leaves evaluation unset.

moto composes each expression as `($states := {...}; $var := ...; <expression>)` and hands the text to one
module-level function pointer; this sets that pointer to the pure-Python jsonata-python evaluator. It also
encodes string variables as JSON string literals: moto quotes them without escaping, which breaks on `"`.
"""

from __future__ import annotations

import json
from typing import Any

_installed = False


def evaluate_jsonata(expression: str) -> Any:
    from jsonata import Jsonata  # type: ignore[import-untyped]
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    try:
        result = Jsonata(expression).evaluate(None)
    except Exception as error:  # every evaluation failure is a JSONata error of the state
        raise JSONataException("UNKNOWN", str(error)) from error
    # A JSON round trip turns jsonata-python's sequences into plain lists, as the JVM bridge's mapper does.
    return json.loads(json.dumps(result)) if result is not None else None


def encode_variable_declarations(bindings: dict[str, Any]) -> str:
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    return "".join(f"{name}:={to_json_str(value, separators=(',', ':'))};" for name, value in bindings.items())


def install_jsonata_evaluator() -> None:
    """Idempotent; call before moto executes a JSONata state machine."""
    global _installed
    if _installed:
        return
    from moto.stepfunctions.parser.asl.eval import states, variable_store
    from moto.stepfunctions.parser.asl.jsonata import jsonata

    jsonata._eval_jsonata = evaluate_jsonata
    for module in (jsonata, states, variable_store):
        module.encode_jsonata_variable_declarations = encode_variable_declarations  # type: ignore[attr-defined]
    _installed = True
