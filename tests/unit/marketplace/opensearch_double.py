"""A loopback double of an OpenSearch Serverless collection's REST API, for the cloud search index's tests.

It answers the requests the adapter sends (`HEAD`/`PUT /<index>`, `POST /<index>/_bulk` NDJSON, `_mget`, `_search`
with bool, multi_match, knn, function_score, term and range filters, sorts, search_after, terms and range
aggregations) in
the response shapes OpenSearch's documentation gives, with simple scoring (a TF-IDF over the boosted fields, 1 +
inner product for k-NN). Every request must be SigV4-signed for the service `aoss` with the test's credentials: the
double recomputes the signature and records any mismatch in `problems`, as it records any malformed request.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

_WORD = re.compile(r"\w+")
_STOP = {"a", "an", "and", "the", "of", "to", "for", "in", "on", "my", "with"}
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[^,]+), Signature=(?P<signature>[0-9a-f]{64})"
)


def _terms(text: str) -> list[str]:
    return [word.lower().removesuffix("s") for word in _WORD.findall(text) if word.lower() not in _STOP]


def _error(kind: str, reason: str, status: int) -> tuple[int, dict[str, Any]]:
    cause = {"type": kind, "reason": reason}
    return status, {"error": {"root_cause": [cause], **cause}, "status": status}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class OpenSearchDouble:
    region: str
    indexes: dict[str, dict[str, Any]] = field(default_factory=dict)
    documents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    endpoint: str = ""

    def answer(self, request: Request) -> tuple[int, dict[str, Any] | None]:
        self.requests.append(request)
        self._check_signature(request)
        parts = request.path.split("?")[0].strip("/").split("/")
        index = parts[0]
        action = parts[1] if len(parts) > 1 else ""
        if request.method == "HEAD" and not action:
            return (200 if index in self.indexes else 404), None
        if request.method == "PUT" and not action:
            if index in self.indexes:
                return _error("resource_already_exists_exception", f"index [{index}] already exists", 400)
            self.indexes[index] = request.json()
            self.documents[index] = {}
            return 200, {"acknowledged": True, "shards_acknowledged": True, "index": index}
        if index not in self.indexes:
            return _error("index_not_found_exception", f"no such index [{index}]", 404)
        if request.method == "POST" and action == "_bulk":
            return self._bulk(index, request)
        if request.method == "POST" and action == "_mget":
            return self._mget(index, request.json())
        if request.method == "POST" and action == "_search":
            return self._search(index, request.json())
        self.problems.append(f"unexpected {request.method} {request.path}")
        return _error("illegal_argument_exception", "unexpected request", 400)

    def _check_signature(self, request: Request) -> None:
        found = _AUTHORIZATION.fullmatch(request.headers.get("authorization", ""))
        if found is None:
            self.problems.append(f"{request.method} {request.path}: not SigV4-signed")
            return
        if (found["service"], found["region"]) != ("aoss", self.region):
            self.problems.append(f"{request.method} {request.path}: signed for {found['service']} {found['region']}")
        signed = found["signed"].split(";")
        if "x-amz-content-sha256" not in signed:
            self.problems.append(f"{request.method} {request.path}: the payload hash is not signed")
        credentials = boto3.Session().get_credentials()
        assert credentials is not None
        copy = AWSRequest(
            method=request.method,
            url=self.endpoint + request.path,
            data=request.body,
            headers={name: request.headers[name] for name in signed},
        )
        copy.context["timestamp"] = request.headers["x-amz-date"]
        auth = SigV4Auth(credentials.get_frozen_credentials(), "aoss", self.region)
        expected = auth.signature(auth.string_to_sign(copy, auth.canonical_request(copy)), copy)
        if expected != found["signature"]:
            self.problems.append(f"{request.method} {request.path}: the signature does not verify")

    def _bulk(self, index: str, request: Request) -> tuple[int, dict[str, Any]]:
        if request.headers.get("content-type") != "application/x-ndjson" or not request.body.endswith(b"\n"):
            self.problems.append("_bulk: not newline-delimited JSON ending with a newline")
        lines = [json.loads(line) for line in request.body.splitlines() if line.strip()]
        items, errors, position = [], False, 0
        while position < len(lines):
            ((action, meta),) = lines[position].items()
            if "_index" in meta and meta["_index"] != index:
                self.problems.append(f"_bulk: a document for {meta['_index']}")
            identifier = meta["_id"]
            if action == "index":
                existed = identifier in self.documents[index]
                self.documents[index][identifier] = lines[position + 1]
                result = {"result": "updated" if existed else "created", "status": 200 if existed else 201}
                position += 2
            elif action == "delete":
                found = self.documents[index].pop(identifier, None) is not None
                result = {"result": "deleted" if found else "not_found", "status": 200 if found else 404}
                errors = errors or not found
                position += 1
            else:
                self.problems.append(f"_bulk: unexpected action {action}")
                return _error("illegal_argument_exception", action, 400)
            items.append({action: {"_index": index, "_id": identifier, "_version": 1, **result}})
        return 200, {"took": 3, "errors": errors, "items": items}

    def _mget(self, index: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        docs = []
        for identifier in body["ids"]:
            source = self.documents[index].get(identifier)
            if source is None:
                docs.append({"_index": index, "_id": identifier, "found": False})
            else:
                kept = {key: value for key, value in source.items() if key in body.get("_source", source)}
                docs.append({"_index": index, "_id": identifier, "_version": 1, "found": True, "_source": kept})
        return 200, {"docs": docs}

    def _search(self, index: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        documents = self.documents[index]
        scored = []
        for identifier, source in documents.items():
            score = self._score(body.get("query", {"match_all": {}}), source, documents)
            if score is not None:
                scored.append((identifier, source, score))
        keys = body.get("sort", [{"_score": "desc"}])
        for key in reversed(keys):
            ((name, order),) = (key if isinstance(key, dict) else {key: "desc"}).items()
            direction = order if isinstance(order, str) else order["order"]
            scored.sort(
                key=lambda row, name=name: row[2] if name == "_score" else (row[1].get(name) is None, row[1].get(name)),
                reverse=direction == "desc",
            )
        if "search_after" in body:
            (after,) = body["search_after"]
            scored = [row for row in scored if row[1]["item_id"] > after]
        page = scored[body.get("from", 0) : body.get("from", 0) + body.get("size", 10)]
        hits = []
        for identifier, source, score in page:
            hit: dict[str, Any] = {"_index": index, "_id": identifier, "_score": score}
            wanted = body.get("_source", True)
            if wanted is not False:
                fields = {name.split(".")[0] for name in wanted} if isinstance(wanted, list) else set(source)
                hit["_source"] = {key: value for key, value in source.items() if key in fields}
            if "sort" in body:
                hit["sort"] = [source.get("item_id")]
            hits.append(hit)
        answer: dict[str, Any] = {
            "took": 2,
            "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {
                "total": {"value": len(scored), "relation": "eq"},
                "max_score": max((row[2] for row in scored), default=None),
                "hits": hits,
            },
        }
        if "aggs" in body:
            matched = [row[1] for row in scored]
            answer["aggregations"] = {
                name: self._terms(aggregation["terms"], matched)
                if "terms" in aggregation
                else self._ranges(aggregation["range"], matched)
                for name, aggregation in body["aggs"].items()
            }
        return 200, answer

    @staticmethod
    def _terms(terms: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
        counts: dict[Any, int] = {}
        for source in sources:
            values = source.get(terms["field"])
            for value in values if isinstance(values, list) else [values]:
                if value is not None:
                    counts[value] = counts.get(value, 0) + 1
        buckets = []
        for value, count in sorted(counts.items(), key=lambda pair: (-pair[1], str(pair[0]))):
            if isinstance(value, bool):
                buckets.append({"key": int(value), "key_as_string": str(value).lower(), "doc_count": count})
            else:
                buckets.append({"key": value, "doc_count": count})
        return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": buckets[: terms["size"]]}

    @staticmethod
    def _ranges(spec: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
        """A `range` aggregation (keyed=false): one bucket per range in the order asked, `from` inclusive, `to`
        exclusive, empty ones included, documents without the field in none."""
        buckets = []
        for bounds in spec["ranges"]:
            low, high = bounds.get("from", -math.inf), bounds.get("to", math.inf)
            held = [source.get(spec["field"]) for source in sources]
            count = sum(value is not None and low <= value < high for value in held)
            bucket = {"key": bounds["key"], "doc_count": count}
            bucket |= {name: float(bounds[name]) for name in ("from", "to") if name in bounds}
            buckets.append(bucket)
        return {"buckets": buckets}

    def _score(self, query: dict[str, Any], source: dict[str, Any], documents: dict[str, Any]) -> float | None:
        """The document's score under `query`, None when it does not match."""
        ((kind, spec),) = query.items()
        if kind == "bool":
            return self._bool(spec, source, documents)
        if kind == "function_score":
            score = self._score(spec["query"], source, documents)
            if score is None:
                return None
            ((function,),) = [spec["functions"]]
            factor = source.get(function["field_value_factor"]["field"], function["field_value_factor"]["missing"])
            return score * factor if spec["boost_mode"] == "multiply" else score
        if kind == "multi_match":
            return self._words(spec, source, documents)
        if kind == "knn":
            ((name, knn),) = spec.items()
            vector = source.get(name)
            if vector is None:
                return None
            product = sum(a * b for a, b in zip(vector, knn["vector"], strict=True))
            score = 1 + product if product >= 0 else 1 / (1 - product)
            return score if score >= knn["min_score"] else None
        return self._filter(kind, spec, source)

    def _bool(self, spec: dict[str, Any], source: dict[str, Any], documents: dict[str, Any]) -> float | None:
        if any(self._score(clause, source, documents) is None for clause in spec.get("filter", [])):
            return None
        must = [self._score(clause, source, documents) for clause in spec.get("must", [])]
        if any(score is None for score in must):
            return None
        should = [score for clause in spec.get("should", []) if (score := self._score(clause, source, documents))]
        if spec.get("should") and len(should) < spec.get("minimum_should_match", 0):
            return None
        return sum(score or 0.0 for score in must) + sum(should)

    def _filter(self, kind: str, spec: dict[str, Any], source: dict[str, Any]) -> float | None:
        if kind == "match_all":
            return 1.0
        if kind == "term":
            ((name, value),) = spec.items()
            held = source.get(name)
            return 0.0 if (value in held if isinstance(held, list) else held == value) else None
        if kind == "range":
            ((name, bounds),) = spec.items()
            held = source.get(name)
            return 0.0 if held is not None and held >= bounds["gte"] else None
        self.problems.append(f"unexpected query {kind}")
        return None

    @staticmethod
    def _field_text(source: dict[str, Any], name: str) -> str:
        base = name.split(".")[0]
        value = source.get(base)
        return " ".join(value) if isinstance(value, list) else str(value or "")

    def _words(self, spec: dict[str, Any], source: dict[str, Any], documents: dict[str, Any]) -> float | None:
        terms = _terms(spec["query"])
        prefix = spec["type"] == "bool_prefix"
        total = 0.0
        for weighted in spec["fields"]:
            name, _, boost = weighted.partition("^")
            words = _terms(self._field_text(source, name))
            for position, term in enumerate(terms):
                last = prefix and position == len(terms) - 1
                count = sum(word.startswith(term) if last else word == term for word in words)
                if count:
                    holding = sum(term in _terms(self._field_text(other, name)) for other in documents.values())
                    total += float(boost or 1) * count * math.log(1 + len(documents) / max(holding, 1))
        return total * spec.get("boost", 1.0) if total > 0 else None


class _Handler(BaseHTTPRequestHandler):
    double: OpenSearchDouble

    def _answer(self) -> None:
        length = int(self.headers.get("content-length", 0))
        headers = {key.lower(): value for key, value in self.headers.items()}
        request = Request(self.command, self.path, headers, self.rfile.read(length))
        status, body = self.double.answer(request)
        data = b"" if body is None or self.command == "HEAD" else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=UTF-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_HEAD = do_PUT = do_POST = do_GET = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def opensearch_double(region: str) -> Iterator[OpenSearchDouble]:
    double = OpenSearchDouble(region=region)
    handler = type("Handler", (_Handler,), {"double": double})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    double.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield double
    finally:
        server.shutdown()
        server.server_close()
