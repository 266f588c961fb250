"""The marketplace's embedded search index: SQLite FTS5 for words, a float32 matrix for meaning.

It answers what a managed index answers in the cloud, on one machine: BM25 over title, name, description, categories
and namespace (title and name weigh most); cosine similarity over the items' embeddings; in hybrid mode the cosine
plus a tenth of the normalised BM25 score; filters and facet counts in SQL; prefix completion of titles. The file may be shared by several processes: each notices another's commit through SQLite's
`data_version` and reloads the matrix.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shared.marketplace.search.model import (
    FacetValue,
    SearchDocument,
    SearchFilters,
    SearchHit,
    SearchMode,
    SearchQuery,
    SearchResults,
)

# The FTS table's columns; bm25() weighs title 5, name 4, categories 2, namespace and description 1.
_WORD_COLUMNS = "title, name, categories, namespace, description"
_INSERT_WORDS = "INSERT INTO words (rowid, title, name, categories, namespace, description) VALUES (?, ?, ?, ?, ?, ?)"
_KEYWORD_SCORES = "SELECT rowid, bm25(words, 5.0, 4.0, 2.0, 1.0, 1.0) FROM words WHERE words MATCH ?"
_INSERT_DOCUMENT = (
    "INSERT INTO documents (item_id, body, kind, namespace, verified, licence, rating, installs, vector)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_FACET_COUNTS = {
    "kind": "SELECT kind, count(*) FROM documents WHERE rowid IN (SELECT value FROM json_each(?)) GROUP BY 1",
    "category": "SELECT category, count(*) FROM categories WHERE rowid IN (SELECT value FROM json_each(?)) GROUP BY 1",
    "namespace": "SELECT namespace, count(*) FROM documents WHERE rowid IN (SELECT value FROM json_each(?)) GROUP BY 1",
    "verified": "SELECT verified, count(*) FROM documents WHERE rowid IN (SELECT value FROM json_each(?)) GROUP BY 1",
    "licence": "SELECT licence, count(*) FROM documents WHERE rowid IN (SELECT value FROM json_each(?)) GROUP BY 1",
}
_FILTER_CLAUSES = {
    "kind": "kind = ?",
    "namespace": "namespace = ?",
    "licence": "licence = ?",
    "verified": "verified = ?",
    "min_rating": "rating >= ?",
    "category": "rowid IN (SELECT rowid FROM categories WHERE category = ?)",
}
# Hybrid score: cosine similarity plus this share of the best-normalised BM25 score. On the public-APIs corpus
# (bench/data/public_apis) 0.1 gave the best precision@5 of 0, 0.1, 0.2, 0.3 and 0.5, and exact names still rank first.
_KEYWORD_SHARE = 0.1
# The cosine below which a document does not match by meaning.
_MIN_SIMILARITY = 0.25
_WORD = re.compile(r"\w+", re.UNICODE)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS documents (
    rowid INTEGER PRIMARY KEY,
    item_id TEXT UNIQUE NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    verified INTEGER NOT NULL,
    licence TEXT NOT NULL,
    rating REAL,
    installs INTEGER NOT NULL,
    vector BLOB
);
CREATE TABLE IF NOT EXISTS categories (rowid INTEGER NOT NULL, category TEXT NOT NULL, PRIMARY KEY (rowid, category));
CREATE VIRTUAL TABLE IF NOT EXISTS words USING fts5(
    {_WORD_COLUMNS}, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def _match_expression(text: str, prefix_last: bool = False) -> str | None:
    """Any of the query's words (OR: BM25 ranks documents with more and rarer words first), each quoted."""
    words = _words(text)
    if not words:
        return None
    terms = [f'"{word}"' for word in words]
    if prefix_last:
        terms[-1] += "*"
    return " OR ".join(terms)


class SqliteSearchIndex:
    def __init__(self, path: Path | str = ":memory:", dimensions: int | None = None) -> None:
        self._connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._connection.execute("PRAGMA journal_mode = WAL")
        self._connection.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._dimensions = dimensions
        self._matrix: np.ndarray[Any, np.dtype[np.float32]] | None = None
        self._matrix_rows = np.empty(0, dtype=np.int64)
        self._matrix_version: int | None = None

    def upsert(self, documents: Sequence[SearchDocument], vectors: Sequence[Sequence[float]] | None = None) -> None:
        """Adds or replaces documents (by item id), with their embeddings when semantic search is to find them."""
        with self._lock, self._transaction() as cursor:
            for position, document in enumerate(documents):
                vector = None if vectors is None else np.asarray(vectors[position], dtype=np.float32)
                self._check_dimensions(vector)
                row = cursor.execute("SELECT rowid FROM documents WHERE item_id = ?", (document.item_id,)).fetchone()
                if row:
                    self._delete_rows(cursor, [row[0]])
                cursor.execute(
                    _INSERT_DOCUMENT,
                    (
                        document.item_id,
                        document.model_dump_json(),
                        document.kind,
                        document.namespace,
                        int(document.verified),
                        document.licence,
                        document.rating,
                        document.installs,
                        None if vector is None else vector.tobytes(),
                    ),
                )
                rowid = cursor.lastrowid
                cursor.executemany(
                    "INSERT OR IGNORE INTO categories (rowid, category) VALUES (?, ?)",
                    [(rowid, category) for category in document.categories],
                )
                cursor.execute(
                    _INSERT_WORDS,
                    (
                        rowid,
                        document.title,
                        document.name.replace("-", " ").replace("_", " "),
                        " ".join(document.categories),
                        document.namespace,
                        document.description,
                    ),
                )

    def remove(self, item_ids: Iterable[str]) -> None:
        with self._lock, self._transaction() as cursor:
            for item_id in item_ids:
                row = cursor.execute("SELECT rowid FROM documents WHERE item_id = ?", (item_id,)).fetchone()
                if row:
                    self._delete_rows(cursor, [row[0]])

    def count(self) -> int:
        with self._lock:
            return int(self._connection.execute("SELECT count(*) FROM documents").fetchone()[0])

    def search(self, query: SearchQuery, query_vector: Sequence[float] | None = None) -> SearchResults:
        """Ranks the documents that pass the filters. The semantic and hybrid modes need `query_vector` (the query
        text's embedding) to rank by meaning; without it they rank by words alone. No text: the most installed first."""
        with self._lock:
            allowed = self._filtered_rows(query.filters)
            text = query.text.strip()
            scores: dict[int, float]
            if not text:
                scores = self._popularity(allowed)
            else:
                keyword = self._keyword_scores(text, allowed) if query.mode is not SearchMode.semantic else {}
                meaning = {}
                if query.mode is not SearchMode.keyword and query_vector is not None:
                    meaning = self._similarities(query_vector, allowed)
                if not meaning:
                    scores = keyword
                elif query.mode is SearchMode.semantic:
                    scores = {
                        rowid: similarity for rowid, similarity in meaning.items() if similarity >= _MIN_SIMILARITY
                    }
                else:
                    matched = set(keyword) | {
                        rowid for rowid, similarity in meaning.items() if similarity >= _MIN_SIMILARITY
                    }
                    scores = {rowid: meaning[rowid] + _KEYWORD_SHARE * keyword.get(rowid, 0.0) for rowid in matched}
            ordered = sorted(scores, key=lambda rowid: (-scores[rowid], rowid))
            page = ordered[query.offset : query.offset + query.limit]
            documents = self._documents(page)
            return SearchResults(
                hits=[SearchHit(document=documents[rowid], score=round(scores[rowid], 6)) for rowid in page],
                total=len(ordered),
                facets=self._facets(ordered),
            )

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Titles that contain a word starting with what was typed, the most installed first."""
        expression = _match_expression(prefix, prefix_last=True)
        if expression is None:
            return []
        with self._lock:
            rows = self._connection.execute(
                "SELECT d.body FROM words w JOIN documents d ON d.rowid = w.rowid"
                " WHERE words MATCH ? ORDER BY d.installs DESC, bm25(words, 5.0, 4.0, 0, 0, 0) LIMIT ?",
                (f"{{title name}} : ({expression})", limit),
            ).fetchall()
        return [SearchDocument.model_validate_json(body).title for (body,) in rows]

    def _keyword_scores(self, text: str, allowed: set[int]) -> dict[int, float]:
        """BM25 (SQLite's bm25() is negative: lower is better) scaled so the best match scores 1."""
        expression = _match_expression(text)
        if expression is None:
            return {}
        rows = [(rowid, -score) for rowid, score in self._connection.execute(_KEYWORD_SCORES, (expression,))]
        best = max((score for rowid, score in rows if rowid in allowed), default=0.0)
        return {rowid: score / best for rowid, score in rows if rowid in allowed and best > 0}

    def _similarities(self, query_vector: Sequence[float], allowed: set[int]) -> dict[int, float]:
        matrix, rows = self._vectors()
        if matrix is None:
            return {}
        vector = np.asarray(query_vector, dtype=np.float32)
        self._check_dimensions(vector)
        similarities = matrix @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
        return {
            int(rowid): float(similarity)
            for rowid, similarity in zip(rows, similarities, strict=True)
            if rowid in allowed
        }

    def _popularity(self, allowed: set[int]) -> dict[int, float]:
        rows = self._connection.execute("SELECT rowid, installs, coalesce(rating, 0) FROM documents").fetchall()
        return {rowid: installs + rating / 10 for rowid, installs, rating in rows if rowid in allowed}

    def _filtered_rows(self, filters: SearchFilters) -> set[int]:
        clauses, parameters = ["1 = 1"], []
        for name, value in filters.model_dump(exclude_none=True).items():
            clauses.append(_FILTER_CLAUSES[name])
            parameters.append(int(value) if isinstance(value, bool) else value)
        sql = "SELECT rowid FROM documents WHERE " + " AND ".join(clauses)  # noqa: S608 - constant clauses only
        return {rowid for (rowid,) in self._connection.execute(sql, parameters)}

    def _facets(self, rowids: list[int]) -> dict[str, list[FacetValue]]:
        matched = json.dumps(rowids)
        facets: dict[str, list[FacetValue]] = {}
        for facet, sql in _FACET_COUNTS.items():
            counts = [
                (str(bool(value)).lower() if facet == "verified" else str(value), count)
                for value, count in self._connection.execute(sql, (matched,))
            ]
            facets[facet] = [
                FacetValue(value=value, count=count) for value, count in sorted(counts, key=lambda c: (-c[1], c[0]))
            ]
        return facets

    def _documents(self, rowids: list[int]) -> dict[int, SearchDocument]:
        if not rowids:
            return {}
        rows = self._connection.execute(
            "SELECT rowid, body FROM documents WHERE rowid IN (SELECT value FROM json_each(?))", (json.dumps(rowids),)
        )
        return {rowid: SearchDocument.model_validate_json(body) for rowid, body in rows}

    def _vectors(self) -> tuple[np.ndarray[Any, np.dtype[np.float32]] | None, np.ndarray[Any, np.dtype[np.int64]]]:
        version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        if self._matrix_version != version or self._matrix is None:
            rows = self._connection.execute("SELECT rowid, vector FROM documents WHERE vector IS NOT NULL").fetchall()
            self._matrix_rows = np.array([rowid for rowid, _ in rows], dtype=np.int64)
            self._matrix = np.stack([np.frombuffer(blob, dtype=np.float32) for _, blob in rows]) if rows else None
            if self._matrix is not None:
                self._matrix /= np.clip(np.linalg.norm(self._matrix, axis=1, keepdims=True), 1e-12, None)
            self._matrix_version = version
        return self._matrix, self._matrix_rows

    def _check_dimensions(self, vector: np.ndarray[Any, np.dtype[np.float32]] | None) -> None:
        if vector is None:
            return
        if self._dimensions is None:
            self._dimensions = int(vector.shape[0])
        if vector.shape != (self._dimensions,):
            raise ValueError(f"an embedding has {vector.shape[0]} dimensions, the index {self._dimensions}")

    def _delete_rows(self, cursor: sqlite3.Cursor, rowids: list[int]) -> None:
        for rowid in rowids:
            cursor.execute("DELETE FROM documents WHERE rowid = ?", (rowid,))
            cursor.execute("DELETE FROM categories WHERE rowid = ?", (rowid,))
            cursor.execute("DELETE FROM words WHERE rowid = ?", (rowid,))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection, self)

    def _invalidate(self) -> None:
        self._matrix = None


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT (ROLLBACK on an error), and the matrix reloaded after a write."""

    def __init__(self, connection: sqlite3.Connection, index: SqliteSearchIndex) -> None:
        self._connection = connection
        self._index = index

    def __enter__(self) -> sqlite3.Cursor:
        self._connection.execute("BEGIN IMMEDIATE")
        return self._connection.cursor()

    def __exit__(self, error_type: object, *_: object) -> None:
        self._connection.execute("ROLLBACK" if error_type else "COMMIT")
        self._index._invalidate()
