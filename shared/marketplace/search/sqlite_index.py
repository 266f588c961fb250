"""The marketplace's embedded search index: SQLite FTS5 for words, a float32 matrix for meaning.

It answers what a managed index answers in the cloud (opensearch_index.py), on one machine: BM25 over title, name,
description, categories and namespace (title and name weigh most); cosine similarity over the items' embeddings; in
hybrid mode the cosine plus a tenth of the normalised BM25 score; each score of a text query multiplied by the item's
measured-performance factor (SearchDocument.rank_factor); prefix completion of titles. Filters, scores and facet
counts run on a columnar copy of the documents in memory (numpy), reloaded after a write. The file may be shared by
several processes: each notices another's commit through SQLite's `data_version` and reloads its copy.
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
from threadpoolctl import ThreadpoolController

from shared.marketplace.search.model import (
    RATING_FACET_STARS,
    FacetValue,
    SearchDocument,
    SearchFilters,
    SearchHit,
    SearchMode,
    SearchQuery,
    SearchResults,
    rating_facet,
)

# The FTS table's columns; bm25() weighs title 5, name 4, categories 2, namespace and description 1.
_WORD_COLUMNS = "title, name, categories, namespace, description"
_INSERT_WORDS = "INSERT INTO words (rowid, title, name, categories, namespace, description) VALUES (?, ?, ?, ?, ?, ?)"
_KEYWORD_SCORES = "SELECT rowid, bm25(words, 5.0, 4.0, 2.0, 1.0, 1.0) FROM words WHERE words MATCH ?"
_INSERT_DOCUMENT = (
    "INSERT INTO documents (item_id, body, kind, namespace, verified, licence, rating, installs, vector, rank_factor)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Hybrid score: cosine similarity plus this share of the best-normalised BM25 score. On the public-APIs corpus
# (bench/data/public_apis) 0.1 gave the best precision@5 of 0, 0.1, 0.2, 0.3 and 0.5, and exact names still rank first.
_KEYWORD_SHARE = 0.1
# The cosine below which a document does not match by meaning.
_MIN_SIMILARITY = 0.25
Vector = np.ndarray[Any, np.dtype[np.float32]]
# Finds the process's BLAS libraries once; limiting them per call is then cheap.
_BLAS = ThreadpoolController()
Mask = np.ndarray[Any, np.dtype[np.bool_]]
_WORD = re.compile(r"\w+", re.UNICODE)
# Words that match most listings and say nothing about any: leaving them out of the OR query keeps BM25 from
# scoring thousands of documents for "the" or "my".
_STOP_WORDS = frozenset(
    {
        "a",
        "about",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "for",
        "from",
        "get",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "this",
        "that",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
        "",
    }
)

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
    vector BLOB,
    rank_factor REAL NOT NULL DEFAULT 1.0
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
    words = [word for word in words if word not in _STOP_WORDS] or words
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
        columns = {row[1] for row in self._connection.execute("PRAGMA table_info(documents)")}
        if "rank_factor" not in columns:
            # An index file of an earlier version: its documents rank as unmeasured until forge dev's start rebuilds.
            self._connection.execute("ALTER TABLE documents ADD COLUMN rank_factor REAL NOT NULL DEFAULT 1.0")
        self._lock = threading.RLock()
        self._dimensions = dimensions
        self._snapshot: _Snapshot | None = None
        self._snapshot_version: int | None = None

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
                        document.rank_factor(),
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

    def stored(self, item_ids: Iterable[str]) -> dict[str, tuple[SearchDocument, list[float] | None]]:
        """The documents held for these item ids, each with its embedding (None without one)."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT item_id, body, vector FROM documents WHERE item_id IN (SELECT value FROM json_each(?))",
                (json.dumps(list(item_ids)),),
            ).fetchall()
        return {
            item_id: (
                SearchDocument.model_validate_json(body),
                None if vector is None else np.frombuffer(vector, dtype=np.float32).tolist(),
            )
            for item_id, body, vector in rows
        }

    def item_ids(self) -> set[str]:
        with self._lock:
            return {item_id for (item_id,) in self._connection.execute("SELECT item_id FROM documents")}

    def count(self) -> int:
        with self._lock:
            return int(self._connection.execute("SELECT count(*) FROM documents").fetchone()[0])

    def search(self, query: SearchQuery, query_vector: Sequence[float] | None = None) -> SearchResults:
        """Ranks the documents that pass the filters. The semantic and hybrid modes need `query_vector` (the query
        text's embedding) to rank by meaning; without it they rank by words alone. No text: the most installed first."""
        with self._lock:
            snapshot = self._current()
            allowed = snapshot.allowed(query.filters)
            text = query.text.strip()
            if not text:
                scores, matched = snapshot.popularity, allowed
            else:
                keyword = np.zeros(len(snapshot.rows), dtype=np.float32)
                if query.mode is not SearchMode.semantic:
                    keyword = self._keyword_scores(snapshot, text, allowed)
                meaning = None
                if query.mode is not SearchMode.keyword and query_vector is not None:
                    meaning = snapshot.similarities(self._checked(query_vector))
                if meaning is None:
                    scores, matched = keyword, allowed & (keyword > 0)
                elif query.mode is SearchMode.semantic:
                    scores, matched = meaning, allowed & (meaning >= _MIN_SIMILARITY)
                else:
                    scores = meaning + _KEYWORD_SHARE * keyword
                    matched = allowed & ((keyword > 0) | (meaning >= _MIN_SIMILARITY))
                scores = scores * snapshot.rank_factor
            positions = np.flatnonzero(matched)
            wanted = query.offset + query.limit
            if len(positions) > wanted:
                positions = positions[np.argpartition(-scores[positions], wanted - 1)[:wanted]]
            # Ties go to the older document, so a page never shuffles between two identical queries.
            page = positions[np.lexsort((positions, -scores[positions]))][query.offset : wanted]
            documents = self._documents([int(snapshot.rows[position]) for position in page])
            return SearchResults(
                hits=[
                    SearchHit(document=documents[int(snapshot.rows[position])], score=round(float(scores[position]), 6))
                    for position in page
                ],
                total=int(matched.sum()),
                facets=snapshot.facets(matched),
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

    def _keyword_scores(self, snapshot: _Snapshot, text: str, allowed: Mask) -> Vector:
        """BM25 per document (SQLite's bm25() is negative: lower is better), scaled so the best allowed match is 1."""
        scores = np.zeros(len(snapshot.rows), dtype=np.float32)
        expression = _match_expression(text)
        if expression is None:
            return scores
        found = np.array(self._connection.execute(_KEYWORD_SCORES, (expression,)).fetchall(), dtype=np.float64)
        if len(found):
            scores[snapshot.positions(found[:, 0].astype(np.int64))] = -found[:, 1]
        best = float(scores[allowed].max(initial=0.0))
        return scores / best if best > 0 else scores

    def _documents(self, rowids: list[int]) -> dict[int, SearchDocument]:
        if not rowids:
            return {}
        rows = self._connection.execute(
            "SELECT rowid, body FROM documents WHERE rowid IN (SELECT value FROM json_each(?))", (json.dumps(rowids),)
        )
        return {rowid: SearchDocument.model_validate_json(body) for rowid, body in rows}

    def _current(self) -> _Snapshot:
        version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        if self._snapshot is None or self._snapshot_version != version:
            self._snapshot = _Snapshot.load(self._connection, self._dimensions)
            self._snapshot_version = version
        return self._snapshot

    def _checked(self, vector: Sequence[float]) -> Vector:
        array = np.asarray(vector, dtype=np.float32)
        self._check_dimensions(array)
        return array

    def _check_dimensions(self, vector: Vector | None) -> None:
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
        self._snapshot = None


class _Snapshot:
    """The index's columns in memory, one position per document: filters, scores and facets are array operations."""

    def __init__(self, rows: list[tuple[Any, ...]], categories: list[tuple[int, str]], dimensions: int | None) -> None:
        self.rows = np.array([row[0] for row in rows], dtype=np.int64)
        self.kind = np.array([row[1] for row in rows], dtype=object)
        self.namespace = np.array([row[2] for row in rows], dtype=object)
        self.verified = np.array([bool(row[3]) for row in rows], dtype=bool)
        self.licence = np.array([row[4] for row in rows], dtype=object)
        self.rating = np.array([np.nan if row[5] is None else row[5] for row in rows], dtype=np.float64)
        installs = np.array([row[6] for row in rows], dtype=np.float32)
        self.popularity = np.asarray(installs + np.nan_to_num(self.rating).astype(np.float32) / 10, dtype=np.float32)
        self.rank_factor = np.array([row[8] for row in rows], dtype=np.float32)
        self.category_positions = self.positions(np.array([rowid for rowid, _ in categories], dtype=np.int64))
        self.category_names = np.array([name for _, name in categories], dtype=object)
        width = dimensions or next((len(row[7]) // 4 for row in rows if row[7]), 0)
        self.matrix = np.zeros((len(rows), width), dtype=np.float32)
        for position, row in enumerate(rows):
            if row[7]:
                vector = np.frombuffer(row[7], dtype=np.float32)
                self.matrix[position] = vector / max(float(np.linalg.norm(vector)), 1e-12)

    @classmethod
    def load(cls, connection: sqlite3.Connection, dimensions: int | None) -> _Snapshot:
        rows = connection.execute(
            "SELECT rowid, kind, namespace, verified, licence, rating, installs, vector, rank_factor FROM documents"
            " ORDER BY rowid"
        ).fetchall()
        categories = connection.execute("SELECT rowid, category FROM categories").fetchall()
        return cls(rows, categories, dimensions)

    def positions(self, rowids: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, np.dtype[np.intp]]:
        return np.searchsorted(self.rows, rowids)

    def allowed(self, filters: SearchFilters) -> Mask:
        mask = np.ones(len(self.rows), dtype=bool)
        for column in ("kind", "namespace", "licence", "verified"):
            value = getattr(filters, column)
            if value is not None:
                mask &= getattr(self, column) == value
        if filters.min_rating is not None:
            mask &= np.nan_to_num(self.rating, nan=-1.0) >= filters.min_rating
        if filters.category is not None:
            in_category = np.zeros(len(self.rows), dtype=bool)
            in_category[self.category_positions[self.category_names == filters.category]] = True
            mask &= in_category
        return mask

    def similarities(self, vector: Vector) -> Vector:
        if self.matrix.shape[1] == 0:
            return np.zeros(len(self.rows), dtype=np.float32)
        # One BLAS thread: a matrix-vector product this size is memory-bound, and OpenBLAS's threads cost more than
        # they save on a busy machine (30 ms against 1 ms here).
        with _BLAS.limit(limits=1, user_api="blas"):
            product = self.matrix @ (vector / max(float(np.linalg.norm(vector)), 1e-12))
        return np.asarray(product, dtype=np.float32)

    def facets(self, matched: Mask) -> dict[str, list[FacetValue]]:
        in_matched = matched[self.category_positions] if len(self.category_positions) else np.zeros(0, dtype=bool)
        columns = {
            "kind": self.kind[matched],
            "category": self.category_names[in_matched],
            "namespace": self.namespace[matched],
            "verified": np.where(self.verified[matched], "true", "false"),
            "licence": self.licence[matched],
        }
        facets: dict[str, list[FacetValue]] = {}
        for facet, values in columns.items():
            names, counts = np.unique(values.astype(str), return_counts=True)
            ranked = sorted(zip(names.tolist(), counts.tolist(), strict=True), key=lambda pair: (-pair[1], pair[0]))
            facets[facet] = [FacetValue(value=str(name), count=int(count)) for name, count in ranked]
        rated = np.nan_to_num(self.rating[matched], nan=-1.0)
        facets["rating"] = rating_facet({stars: int((rated >= stars).sum()) for stars in RATING_FACET_STARS})
        return facets


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
