"""The web console: the first page's JavaScript (gzipped) and the builder opening a 500-node workflow in headless
chromium against `forge dev`, with the frame rate while panning it.

Targets: first page ≤ 250 KB of gzipped JavaScript (the builder is loaded on demand: its chunk is printed apart);
a 500-node workflow drawn ≤ 1.5 s after navigation starts (JavaScript, the API's answers and the canvas included);
panning above 30 frames/s; the validation round trip on an edit ≤ 150 ms p50 (POST /v1/workflows/validate as the
builder sends it, from the page; the time from an edit to its finding on screen, which adds the builder's pause
after typing, is printed beside it). Needs a built console (`make console`) and Debian's chromium; says so and
stops without.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import statistics
from pathlib import Path
from typing import Any

from devserver.console import CONSOLE_DIST

TARGET_FIRST_PAGE_KB = 250.0
TARGET_RENDER_MS = 1500.0
TARGET_PAN_FPS = 30.0
TARGET_VALIDATION_P50_MS = 150.0
VALIDATION_EDITS = 40
VALIDATE_PATH = "/v1/workflows/validate"
# An expression JSONata cannot parse, then one it can: each edit flips the builder's verdict.
BROKEN_EXPRESSION = "{'greeting': "
FIXED_EXPRESSION = "{'greeting': 'hello'}"
NODES = 500
COLUMNS = 25


def gzipped_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1024


def first_page_scripts(dist: Path) -> list[Path]:
    """The entry script and the chunks index.html preloads: what the browser fetches before the first page draws."""
    index = (dist / "index.html").read_text()
    sources = re.findall(r'<script[^>]+src="/([^"]+\.js)"', index) + re.findall(
        r'<link rel="modulepreload"[^>]+href="/([^"]+\.js)"', index
    )
    return [dist / source for source in sources]


def chain_workflow(size: int) -> dict[str, Any]:
    """A trigger, `size - 2` transforms and a succeed in one chain, placed in rows as the builder saves them."""
    nodes: list[dict[str, Any]] = []
    for number in range(size):
        node_type = "manual" if number == 0 else "succeed" if number == size - 1 else "transform"
        node: dict[str, Any] = {"id": f"n{number}", "type": node_type}
        if node_type == "transform":
            node["params"] = {"expression": f"{{'step': {number}}}"}
        node["position"] = {"x": (number % COLUMNS) * 220, "y": (number // COLUMNS) * 110}
        nodes.append(node)
    edges = [{"from": f"n{number}", "to": f"n{number + 1}"} for number in range(size - 1)]
    return {"name": f"chain-{size}", "nodes": nodes, "edges": edges}


def measure_builder(chromium: str) -> tuple[float, float, float]:
    """(ms until the canvas draws the workflow, ms more until its validation verdict shows, frames/s panning)."""
    from playwright.sync_api import sync_playwright

    from bench._local_tenant import local_tenant

    with local_tenant() as tenant:
        created = tenant.client.post("/v1/workflows", headers=tenant.owner, json=chain_workflow(NODES))
        assert created.status_code == 201, created.text
        workflow_id = created.json()["id"]
        token = tenant.owner["authorization"].removeprefix("Bearer ")
        session = {"token": token, "subject": "o", "tenantId": None, "role": "owner", "platformAdmin": False}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.add_init_script(f"sessionStorage.setItem('nexus-forge.token', {json.dumps(json.dumps(session))})")
            page.goto(f"{tenant.platform.url}/workflows/{workflow_id}")
            page.locator(".react-flow__node").first.wait_for(timeout=30_000)
            drawn_ms: float = page.evaluate("performance.now()")
            page.get_by_test_id("validity").filter(has_text="Valid").wait_for(timeout=30_000)
            validated_ms: float = page.evaluate("performance.now()") - drawn_ms
            fps = pan_frames_per_second(page)
            browser.close()
    return drawn_ms, validated_ms, fps


def measure_validation(chromium: str) -> tuple[list[float], list[float]]:
    """Edits a transform's expression back and forth in the builder: (ms of each POST /v1/workflows/validate round
    trip the page made, ms from each edit until the verdict it caused is on screen)."""
    from playwright.sync_api import sync_playwright

    from bench._local_tenant import local_tenant

    with local_tenant() as tenant:
        created = tenant.client.post("/v1/workflows", headers=tenant.owner, json=chain_workflow(3))
        assert created.status_code == 201, created.text
        token = tenant.owner["authorization"].removeprefix("Bearer ")
        session = {"token": token, "subject": "o", "tenantId": None, "role": "owner", "platformAdmin": False}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            page.add_init_script(f"sessionStorage.setItem('nexus-forge.token', {json.dumps(json.dumps(session))})")
            page.goto(f"{tenant.platform.url}/workflows/{created.json()['id']}")
            page.get_by_test_id("validity").filter(has_text="Valid").wait_for(timeout=30_000)
            page.get_by_test_id("node-n1").click()
            expression = page.get_by_label("Expression *")
            page.evaluate("performance.clearResourceTimings()")
            to_verdict: list[float] = []
            for edit in range(VALIDATION_EDITS):
                broken = edit % 2 == 0
                started: float = page.evaluate("performance.now()")
                expression.fill(BROKEN_EXPRESSION if broken else FIXED_EXPRESSION)
                verdict = "Has problems" if broken else "Valid"
                page.get_by_test_id("validity").filter(has_text=verdict).wait_for(timeout=10_000)
                to_verdict.append(page.evaluate("performance.now()") - started)
            round_trips: list[float] = page.evaluate(
                "path => performance.getEntriesByType('resource')"
                ".filter(entry => entry.name.endsWith(path)).map(entry => entry.responseEnd - entry.startTime)",
                VALIDATE_PATH,
            )
            browser.close()
    return round_trips, to_verdict


def pan_frames_per_second(page: Any) -> float:
    page.evaluate(
        "() => { window.__frames = 0; window.__panStart = performance.now();"
        " const tick = () => { window.__frames++; window.__panning && requestAnimationFrame(tick); };"
        " window.__panning = true; requestAnimationFrame(tick); }"
    )
    box = page.get_by_test_id("canvas").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 121):
        page.mouse.move(x - step * 4, y - (step % 40) * 2)
    page.mouse.up()
    frames, elapsed = page.evaluate(
        "() => { window.__panning = false; return [window.__frames, performance.now() - window.__panStart]; }"
    )
    return float(frames) / (float(elapsed) / 1000)


def main() -> None:
    if not (CONSOLE_DIST / "index.html").is_file():
        print("console not built: run `make console` first")
        return
    scripts = first_page_scripts(CONSOLE_DIST)
    first_page = sum(gzipped_kb(script) for script in scripts)
    files = f"{len(scripts)} file(s)"
    print(f"first page JavaScript: {first_page:.1f} KB gzipped in {files} (target ≤ {TARGET_FIRST_PAGE_KB:.0f} KB)")
    for chunk in sorted((CONSOLE_DIST / "assets").glob("*.js")):
        if chunk not in scripts:
            print(f"  on demand: {chunk.name:<32} {gzipped_kb(chunk):8.1f} KB gzipped")
    chromium = shutil.which("chromium")
    if chromium is None:
        print("no chromium on PATH (Debian: apt-get install chromium): builder timings skipped")
        return
    drawn_ms, validated_ms, fps = measure_builder(chromium)
    print(f"{NODES}-node workflow drawn: {drawn_ms:.0f} ms after navigation start (target ≤ {TARGET_RENDER_MS:.0f} ms)")
    print(f"validation verdict on screen: {validated_ms:.0f} ms after the drawing")
    print(f"panning: {fps:.0f} frames/s (target > {TARGET_PAN_FPS:.0f})")
    round_trips, to_verdict = measure_validation(chromium)
    print(
        f"validation round trip on edit ({len(round_trips)} POST {VALIDATE_PATH} from the page): "
        f"p50 {statistics.median(round_trips):.0f} ms, max {max(round_trips):.0f} ms "
        f"(target p50 ≤ {TARGET_VALIDATION_P50_MS:.0f} ms)"
    )
    print(
        "edit → verdict on screen (the builder's pause after typing included): "
        f"p50 {statistics.median(to_verdict):.0f} ms"
    )
