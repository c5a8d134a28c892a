"""A crash-safe, append-only store of every attempt (SQLite in WAL mode).

Every HTTP attempt -- successful or not, retried or final -- is one row, written in its own
transaction once the attempt has finished. Rows are never updated or deleted. A request is
identified by ``request_key``, a hash of everything that defines it (model, provider, model
id, base URL, language, replicate index, prompt hash, term order, generation parameters), so
replicates are never collapsed and a rerun skips exactly the requests that already have a
final attempt. An attempt is final when its status is ``ok`` (an answer) or ``refused`` (the
provider's content-filter / safety refusal: an outcome, kept and counted, not retried). A
partial unique index makes a second final attempt for the same key impossible, even from two
processes.

A follow-up of the re-ask policy is a request of its own: its key is derived from the
original request's key and the follow-up index, ``followup`` holds the index (0 for an
original request) and ``followup_of`` the original request's key.

SQLite in WAL mode with ``synchronous=FULL``: a commit is on disk before ``insert`` returns,
and a process killed at any moment leaves a database that opens with every committed row.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

__all__ = ["Store", "ATTEMPT_COLUMNS", "FINAL_STATUSES", "export_jsonl", "stored_final_keys"]

# 2: followup, followup_of (the re-ask policy); a version-1 store gains them on open
# 3: status "refused" is final (one_final_per_request); an older store gains the index on open
SCHEMA_VERSION = 3
# statuses that end a request: it is not sent again
FINAL_STATUSES = ("ok", "refused")

ATTEMPT_COLUMNS = (
    "request_key", "model", "country", "language", "replicate", "provider", "model_id", "base_url",
    "attempt", "status", "http_status", "error", "response_text", "reasoning_text", "finish_reason",
    "raw_body", "latency_s", "usage", "prompt_hash", "term_order", "request", "started_at",
    "finished_at", "run_id", "followup", "followup_of",
)
_JSON_COLUMNS = ("usage", "term_order", "request")

_DDL = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_key TEXT NOT NULL,
    model TEXT NOT NULL,
    country TEXT NOT NULL,
    language TEXT NOT NULL,
    replicate INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model_id TEXT NOT NULL,
    base_url TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER,
    error TEXT,
    response_text TEXT,
    reasoning_text TEXT,
    finish_reason TEXT,
    raw_body TEXT,
    latency_s REAL,
    usage TEXT,
    prompt_hash TEXT NOT NULL,
    term_order TEXT NOT NULL,
    request TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    run_id TEXT,
    followup INTEGER NOT NULL DEFAULT 0,
    followup_of TEXT,
    UNIQUE (request_key, attempt)
);
CREATE UNIQUE INDEX IF NOT EXISTS one_ok_per_request ON attempts (request_key) WHERE status = 'ok';
CREATE UNIQUE INDEX IF NOT EXISTS one_final_per_request ON attempts (request_key) WHERE status IN ('ok', 'refused');
CREATE INDEX IF NOT EXISTS attempts_model ON attempts (model);
CREATE TRIGGER IF NOT EXISTS attempts_no_update BEFORE UPDATE ON attempts
    BEGIN SELECT RAISE(ABORT, 'the attempts table is append-only'); END;
CREATE TRIGGER IF NOT EXISTS attempts_no_delete BEFORE DELETE ON attempts
    BEGIN SELECT RAISE(ABORT, 'the attempts table is append-only'); END;
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');
"""
# Columns added after version 1; ADD COLUMN changes no row, so the append-only triggers allow it.
_ADDED_COLUMNS = (("followup", "INTEGER NOT NULL DEFAULT 0"), ("followup_of", "TEXT"))


class Store:
    """The attempt store at ``path``; safe to share between threads of one process."""

    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False,
                                     isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_DDL)
        have = {r[1] for r in self._conn.execute("PRAGMA table_info(attempts)")}
        for name, decl in _ADDED_COLUMNS:
            if name not in have:
                self._conn.execute(f"ALTER TABLE attempts ADD COLUMN {name} {decl}")
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                           (str(SCHEMA_VERSION),))

    def __repr__(self):
        return f"Store({str(self.path)!r})"

    def close(self):
        with self._lock:
            self._conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def insert(self, row: dict) -> bool:
        """Append one attempt. Returns False (and writes nothing) if the row would be a second
        successful attempt of the same request or repeat an attempt number."""
        row = {"followup": 0, **row}
        values = [json.dumps(row[c], ensure_ascii=False) if c in _JSON_COLUMNS and row.get(c) is not None
                  else row.get(c) for c in ATTEMPT_COLUMNS]
        sql = f"INSERT INTO attempts ({', '.join(ATTEMPT_COLUMNS)}) VALUES ({', '.join('?' * len(ATTEMPT_COLUMNS))})"
        with self._lock:
            try:
                self._conn.execute(sql, values)
            except sqlite3.IntegrityError:
                return False
        return True

    def done_keys(self) -> set[str]:
        """Request keys that have a final attempt (``ok`` or ``refused``): not sent again."""
        with self._lock:
            return {r[0] for r in self._conn.execute(
                "SELECT request_key FROM attempts WHERE status IN ('ok', 'refused')")}

    def count(self, *statuses: str) -> int:
        """Number of attempts stored (with one of `statuses`, if given)."""
        sql, params = "SELECT COUNT(*) FROM attempts", ()
        if statuses:
            sql, params = sql + f" WHERE status IN ({', '.join('?' * len(statuses))})", statuses
        with self._lock:
            return self._conn.execute(sql, params).fetchone()[0]

    def ok_row(self, request_key: str) -> dict | None:
        """The successful attempt of a request, or None."""
        rows = self.rows("WHERE request_key = ? AND status = 'ok'", (request_key,))
        return rows[0] if rows else None

    def attempt_counts(self) -> dict[str, int]:
        """Highest attempt number stored per request key (attempt numbers continue on a rerun)."""
        with self._lock:
            return dict(self._conn.execute("SELECT request_key, MAX(attempt) FROM attempts GROUP BY request_key"))

    def rows(self, where: str = "", params=()) -> list[dict]:
        """All attempts in the order they were written, JSON columns decoded."""
        with self._lock:
            cur = self._conn.execute(f"SELECT id, {', '.join(ATTEMPT_COLUMNS)} FROM attempts {where} ORDER BY id",
                                     params)
            names = [d[0] for d in cur.description]
            out = []
            for values in cur:
                rec = dict(zip(names, values))
                for c in _JSON_COLUMNS:
                    if rec[c] is not None:
                        rec[c] = json.loads(rec[c])
                out.append(rec)
        return out

    def integrity_check(self) -> str:
        with self._lock:
            return self._conn.execute("PRAGMA integrity_check").fetchone()[0]


def stored_final_keys(path) -> set[str]:
    """Request keys with a final attempt in the store at `path`, read without creating or
    changing anything (for ``--dry-run``); an absent store holds none."""
    path = Path(path)
    if not path.exists():
        return set()
    from ..errors import CollectError

    try:
        # no WAL beside the store (the last run closed cleanly): read it as immutable, which
        # creates no -shm/-wal file; with a WAL (a run in progress, or killed), read-only mode
        # sees its committed rows (SQLite may then create the -shm index)
        wal = path.with_name(path.name + "-wal").exists()
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{'mode=ro' if wal else 'immutable=1'}", uri=True,
                               timeout=60)
        try:
            return {r[0] for r in conn.execute(
                "SELECT request_key FROM attempts WHERE status IN ('ok', 'refused')")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CollectError(f"{path}: not a pyvalues collection store ({exc}); pass another --store.") from None


def export_record(row: dict) -> dict:
    """One JSONL record of an attempt (the format pyvalues.parse reads)."""
    rec = {k: row[k] for k in ("model", "country", "language", "replicate", "provider", "model_id",
                               "attempt", "status", "http_status", "error", "response_text",
                               "reasoning_text", "finish_reason", "raw_body", "latency_s", "usage",
                               "prompt_hash", "term_order", "request", "started_at", "finished_at",
                               "request_key", "base_url", "run_id", "followup", "followup_of")}
    # 0 for the original request; k for the k-th follow-up of the re-ask policy, whose
    # followup_of is the original request's key (None for originals).
    rec["followup"] = int(rec["followup"] or 0)
    # pyvalues.parse reads the term order of the prompt under this name.
    rec["prompt_order"] = row["term_order"]
    return rec


def export_jsonl(store: Store | str | Path, out_path) -> int:
    """Write every attempt as one JSON object per line, in the order written. Returns the count.

    Written to a temporary file and renamed, so a reader never sees half a file.
    """
    own = not isinstance(store, Store)
    st = Store(store) if own else store
    try:
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_path.with_name(out_path.name + ".tmp")
        n = 0
        with tmp.open("w", encoding="utf-8") as fh:
            for row in st.rows():
                fh.write(json.dumps(export_record(row), ensure_ascii=False, sort_keys=False) + "\n")
                n += 1
        tmp.replace(out_path)
        return n
    finally:
        if own:
            st.close()
