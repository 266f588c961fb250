"""No two modules of the project import each other, directly or through others (imports inside functions count).

The layer contracts of `make lint` (pyproject's [tool.importlinter]) order the packages; this keeps every module
graph, within a package too, free of cycles, which an import inside a function would otherwise hide.
"""

from __future__ import annotations

import grimp

PACKAGES = ("shared", "devserver", "functions", "infra", "bench", "tests")


def import_cycles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """(importer, imported) of each import whose imported module leads back to its importer."""
    return sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if graph.chain_exists(importer=imported, imported=importer)
    )


def test_no_modules_import_each_other() -> None:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False, cache_dir=None)

    assert import_cycles(graph) == []


def test_a_cycle_through_a_third_module_is_found() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")):
        graph.add_import(importer=importer, imported=imported)

    assert import_cycles(graph) == [("a", "b"), ("b", "c"), ("c", "a")]
