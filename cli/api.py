"""The API over HTTP: one httpx client per command, problems (RFC 9457) turned into `ApiRefused`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from cli.config import Profile

RATE_LIMIT_RETRIES = 10
SSE_RECONNECT_SECONDS = 0.25


class ApiRefused(Exception):
    """The API answered with a problem: its title and detail are what the user reads."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        super().__init__(self.message)

    @property
    def message(self) -> str:
        title = self.problem.get("title") or f"HTTP {self.status}"
        detail = self.problem.get("detail")
        lines = [f"{title} ({self.status})" + (f": {detail}" if detail and detail != title else "")]
        for invalid in self.problem.get("invalid-params") or []:
            lines.append(f"  {invalid.get('name')}: {invalid.get('reason')}")
        return "\n".join(lines)


class ApiUnreachable(Exception):
    pass


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: dict[str, Any]
    event_id: str | None


class ApiClient:
    def __init__(self, profile: Profile, timeout: float = 30.0) -> None:
        self.base_url = profile.base_url.rstrip("/")
        # A public endpoint (the deliveries API) is sent no credential.
        headers = {"authorization": f"Bearer {profile.credential}"} if profile.credential else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def request(self, method: str, path: str, **options: Any) -> Any:
        """The answer's JSON (None for 204); a rate-limited 429 is sent again after its Retry-After."""
        for _ in range(RATE_LIMIT_RETRIES):
            response = self._send(method, path, **options)
            if response.status_code != 429 or "retry-after" not in response.headers:
                break
            time.sleep(float(response.headers["retry-after"]))
        if response.status_code >= 400:
            raise ApiRefused(response.status_code, _problem_of(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={key: value for key, value in params.items() if value is not None})

    def post(self, path: str, body: Any = None, **options: Any) -> Any:
        return self.request("POST", path, json=body, **options)

    def events(self, path: str) -> Iterator[SseEvent]:
        """A Server-Sent Events stream, reconnecting with `Last-Event-ID` until an `end` event."""
        last_event_id: str | None = None
        while True:
            headers = {"last-event-id": last_event_id} if last_event_id else {}
            try:
                with self._http.stream("GET", path, headers=headers, timeout=None) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise ApiRefused(response.status_code, _problem_of(response))
                    for event in _parse_sse(response.iter_lines()):
                        if event.event_id:
                            last_event_id = event.event_id
                        yield event
                        if event.event == "end":
                            return
            except httpx.TransportError as error:
                raise ApiUnreachable(f"{self.base_url}: {error}") from error
            time.sleep(SSE_RECONNECT_SECONDS)

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **options)
        except httpx.TransportError as error:
            raise ApiUnreachable(f"{self.base_url}: {error}") from error


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        problem = response.json()
    except json.JSONDecodeError:
        return {"title": response.reason_phrase, "detail": response.text[:500]}
    return problem if isinstance(problem, dict) else {"title": response.reason_phrase, "detail": str(problem)}


def _parse_sse(lines: Iterator[str]) -> Iterator[SseEvent]:
    event, data, event_id = "message", "", None
    for line in lines:
        if not line:
            if data:
                yield SseEvent(event, json.loads(data), event_id)
            event, data, event_id = "message", "", None
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line.startswith("id:"):
            event_id = line[3:].strip()
