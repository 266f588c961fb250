"""CPU time and memory of a process and all its descendants (forge dev and its API workers, n8n and its children),
read from /proc.

Resident memory summed over a tree counts a page shared by several processes once per process: forge dev's API
workers are forked from the platform with the application loaded and share most of its pages, so the sum of their
RSS overstates what the tree uses. `proportional_by_process` reads PSS instead (a shared page counted once, split
among the processes that map it), what the tree costs the machine; both are printed.
"""

from __future__ import annotations

import os
from pathlib import Path


def process_tree(root: int) -> list[int]:
    """`root` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending += children.get(pid, [])
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def resident_mib(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def proportional_by_process(pids: list[int]) -> dict[int, float]:
    """Each process's proportional set size (MiB; each shared page split among the processes that map it), for
    those still running: their sum is what the tree costs the machine."""
    sizes = {}
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                sizes[pid] = int(line.split()[1]) / 1024
    return sizes
