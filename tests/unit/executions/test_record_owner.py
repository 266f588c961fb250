"""The execution record has one owner: shared/executions/record.py makes, changes and ends records; every other
module of shared/ only reads them (or, for the start's transaction, saves the record it was given)."""

from __future__ import annotations

import ast
from pathlib import Path

from shared.resources import PROJECT_ROOT
from shared.store.executions import ExecutionItem

OWNER = Path("shared/executions/record.py")
RECORD_ATTRIBUTES = frozenset(ExecutionItem.get_attributes())


def _writes(tree: ast.AST) -> list[str]:
    """Assignments to a record attribute, update actions on one, and new records, as source text."""
    found: list[str] = []
    for node in ast.walk(tree):
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        )
        found += [
            ast.unparse(target)
            for target in targets
            if isinstance(target, ast.Attribute) and target.attr in RECORD_ATTRIBUTES
        ]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if node.func.attr in ("set", "add", "remove", "append") and ast.unparse(receiver).startswith(
                "ExecutionItem."
            ):
                found.append(ast.unparse(node))
            if (
                node.func.attr == "new"
                and isinstance(receiver, ast.Call)
                and ast.unparse(receiver.func) == "Executions"
            ):
                found.append(ast.unparse(node))
    return found


def test_only_the_owner_writes_execution_records() -> None:
    writers: dict[str, list[str]] = {}
    for path in sorted((PROJECT_ROOT / "shared").rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT)
        source = path.read_text()
        if relative == OWNER or relative.parts[1] == "store" or "shared.store.executions" not in source:
            continue
        writes = _writes(ast.parse(source))
        if writes:
            writers[str(relative)] = writes

    assert writers == {}


def test_a_write_outside_the_owner_is_found() -> None:
    tree = ast.parse(
        "record.status = 'FAILED'\n"
        "record.update(actions=[ExecutionItem.error.set('x')])\n"
        "Executions(tenant).new('id')\n"
        "tenant.name = 'not a record attribute'\n"
    )

    assert sorted(_writes(tree)) == ["ExecutionItem.error.set('x')", "Executions(tenant).new('id')", "record.status"]
