"""The local server's SQLite storage: one file holds any number of accounts.

Every row carries its `account_id`, and every query filters on it: that is
the whole of account isolation. The server keeps one connection per `Store`
behind a lock (SQLite serialises writers anyway); WAL mode lets another
process (the CLI's in-process local target, a `serve`) read the same file
while this one writes.

Table ownership: the CRUD routes write every table except `hits` and
`hit_conversions`, which the traffic module (`reconciler/server/traffic.py`)
fills when a link, pixel or conversion pixel is requested; the statistics
routes only read.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.apishapes import DATE_FORMAT

SYSTEM_DOMAIN = "go.clickmeter.test"  # every account's system domain

# The datapoint settings of issue 12 (`link_settings.py`, `destination_items.py`), added to the
# `datapoints` table by ALTER TABLE so that a file made before them gains them when opened.
SETTING_COLUMNS = {
    "destination_mode": "TEXT NOT NULL DEFAULT 'Simple'",  # DESTINATION_MODES' names
    "destination_items": "TEXT",  # JSON: the mode's items as answered (None: Simple, DynamicUrl)
    "expiration_clicks": "INTEGER",
    "expiration_date": "TEXT",  # YmdHis
    "pause_after_clicks": "INTEGER NOT NULL DEFAULT 0",
    "pause_after_date": "INTEGER NOT NULL DEFAULT 0",
    "url_after_clicks": "TEXT",
    "url_after_date": "TEXT",
    "append_query": "INTEGER NOT NULL DEFAULT 0",
    "encode_url": "INTEGER NOT NULL DEFAULT 0",
    "hide_url": "INTEGER NOT NULL DEFAULT 0",
    "hide_url_title": "TEXT",
    "referrer_clean": "TEXT NOT NULL DEFAULT 'None'",  # REFERRER_CLEANING's names
    "encode_ip": "INTEGER NOT NULL DEFAULT 0",
    "light_tracking": "INTEGER NOT NULL DEFAULT 0",
    "is_public": "INTEGER NOT NULL DEFAULT 0",
    "redirect_only": "INTEGER NOT NULL DEFAULT 0",
    "clicks_served": "INTEGER NOT NULL DEFAULT 0",  # every click a link answered: rotation and expiry count them
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    api_key TEXT NOT NULL UNIQUE,
    registration_date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS domains (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    type TEXT NOT NULL,                 -- System | Go | Dedicated | Personal
    custom404 TEXT,
    custom_homepage TEXT,
    UNIQUE (account_id, name)
);
CREATE TABLE IF NOT EXISTS groups (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    notes TEXT,
    preferred INTEGER NOT NULL DEFAULT 0,
    is_public INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    creation_date TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS groups_by_name ON groups (account_id, name);
CREATE TABLE IF NOT EXISTS tags (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    UNIQUE (account_id, name)
);
CREATE TABLE IF NOT EXISTS conversions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    description TEXT,
    value REAL,
    protocol TEXT NOT NULL DEFAULT 'Http',
    code TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    creation_date TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS conversions_by_name ON conversions (account_id, name);
CREATE TABLE IF NOT EXISTS retargeting_scripts (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    script TEXT
);
CREATE INDEX IF NOT EXISTS scripts_by_name ON retargeting_scripts (account_id, name);
CREATE TABLE IF NOT EXISTS datapoints (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    type TEXT NOT NULL,                 -- TrackingLink | TrackingPixel
    name TEXT NOT NULL,
    title TEXT,
    notes TEXT,
    preferred INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'Active',
    group_id INTEGER REFERENCES groups(id),
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    url TEXT,
    redirect_type TEXT,
    password TEXT,
    parameter_note TEXT,
    creation_date TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS datapoints_by_account ON datapoints (account_id, status, id);
-- A list page in id order (keyset: id > the last one served): with `status` between the
-- account and the id, the index above makes every page sort the whole account (14 ms a page
-- at 100,000 datapoints, so a whole read was quadratic); this one seeks the page (0.25 ms).
CREATE INDEX IF NOT EXISTS datapoints_by_account_id ON datapoints (account_id, id);
-- The summary pages one type in id order, non-deleted: this index answers its page
-- and its count from the index alone: no table reads and no sort (OFFSET still steps over entries).
CREATE INDEX IF NOT EXISTS datapoints_by_type ON datapoints (account_id, type, id, status);
CREATE INDEX IF NOT EXISTS datapoints_by_name ON datapoints (domain_id, name);
CREATE INDEX IF NOT EXISTS datapoints_by_group ON datapoints (group_id);
CREATE TABLE IF NOT EXISTS datapoint_tags (
    datapoint_id INTEGER NOT NULL REFERENCES datapoints(id),
    tag_id INTEGER NOT NULL REFERENCES tags(id),
    PRIMARY KEY (datapoint_id, tag_id)
);
CREATE INDEX IF NOT EXISTS datapoint_tags_by_tag ON datapoint_tags (tag_id);
CREATE TABLE IF NOT EXISTS group_tags (
    group_id INTEGER NOT NULL REFERENCES groups(id),
    tag_id INTEGER NOT NULL REFERENCES tags(id),
    PRIMARY KEY (group_id, tag_id)
);
CREATE INDEX IF NOT EXISTS group_tags_by_tag ON group_tags (tag_id);
CREATE TABLE IF NOT EXISTS datapoint_conversions (
    datapoint_id INTEGER NOT NULL REFERENCES datapoints(id),
    slot INTEGER NOT NULL CHECK (slot BETWEEN 1 AND 5),
    conversion_id INTEGER NOT NULL REFERENCES conversions(id),
    PRIMARY KEY (datapoint_id, slot),
    UNIQUE (datapoint_id, conversion_id)
);
CREATE INDEX IF NOT EXISTS datapoint_conversions_by_conversion
    ON datapoint_conversions (conversion_id);
CREATE TABLE IF NOT EXISTS datapoint_scripts (
    datapoint_id INTEGER NOT NULL REFERENCES datapoints(id),
    script_id INTEGER NOT NULL REFERENCES retargeting_scripts(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (datapoint_id, script_id)
);
CREATE INDEX IF NOT EXISTS datapoint_scripts_by_script ON datapoint_scripts (script_id);
CREATE TABLE IF NOT EXISTS hits (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    datapoint_id INTEGER NOT NULL REFERENCES datapoints(id),
    kind TEXT NOT NULL,                 -- click (a link) | view (a pixel)
    hit_time TEXT NOT NULL,             -- YmdHis, UTC
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    referrer TEXT,
    language TEXT,                      -- the first Accept-Language tag
    query TEXT,                         -- the tracking request's query string
    destination TEXT,                   -- where a click was sent
    is_unique INTEGER NOT NULL DEFAULT 0, -- first hit of this visitor on this datapoint that day
    is_spider INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS hits_by_datapoint ON hits (datapoint_id, hit_time);
CREATE INDEX IF NOT EXISTS hits_by_account ON hits (account_id, hit_time);
CREATE INDEX IF NOT EXISTS hits_by_visitor ON hits (ip, user_agent, hit_time);
CREATE TABLE IF NOT EXISTS hit_conversions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    datapoint_id INTEGER NOT NULL REFERENCES datapoints(id),
    hit_id INTEGER NOT NULL REFERENCES hits(id),  -- the click it is attributed to
    conversion_id INTEGER NOT NULL REFERENCES conversions(id),
    conversion_time TEXT NOT NULL,      -- YmdHis, UTC
    value REAL NOT NULL,
    parameter TEXT,
    is_unique INTEGER NOT NULL DEFAULT 0  -- first time this click reached this conversion
);
CREATE INDEX IF NOT EXISTS hit_conversions_by_datapoint
    ON hit_conversions (datapoint_id, conversion_time);
CREATE INDEX IF NOT EXISTS hit_conversions_by_account
    ON hit_conversions (account_id, conversion_time);
CREATE INDEX IF NOT EXISTS hit_conversions_by_hit ON hit_conversions (hit_id, conversion_id);
"""


class CountingConnection(sqlite3.Connection):
    """A connection that remembers its COUNT answers until the database changes.

    Every summary page answers the total count, and a reader asks for a
    thousand pages of 100,000 datapoints: each count walks 100,000 index
    entries. The memo is dropped whenever this connection changes a row
    (`total_changes`) or another connection commits (`PRAGMA data_version`).
    """

    MEMO_SIZE = 256

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._counts: dict[tuple[str, tuple[Any, ...]], int] = {}
        self._pages_end: dict[tuple[str, tuple[Any, ...], int], int] = {}  # (query, offset) -> id before it
        self._memo_at: tuple[int, int] = (-1, -1)

    def _unchanged(self) -> None:
        """Drop the memos once a row changed here or another connection committed."""
        version = (self.execute("PRAGMA data_version").fetchone()[0], self.total_changes)
        if version != self._memo_at or len(self._counts) + len(self._pages_end) >= self.MEMO_SIZE:
            self._counts.clear()
            self._pages_end.clear()
            self._memo_at = version

    def count(self, sql: str, params: Sequence[Any]) -> int:
        """The first column of `sql`'s one row (a COUNT), from the memo while nothing changed."""
        self._unchanged()
        key = (sql, tuple(params))
        if key not in self._counts:
            self._counts[key] = self.execute(sql, params).fetchone()[0]
        return self._counts[key]

    def id_page(self, select: str, params: Sequence[Any], id_column: str, offset: int, limit: int) -> list[int]:
        """Ids `offset`..`offset + limit` of `select` (`SELECT x.id FROM ... WHERE ...`) in id order.

        `OFFSET` steps over every entry before the page, so reading a list page by page
        is quadratic; while nothing changed, a page that follows one served before starts
        after that page's last id instead (keyset), which gives the same rows.
        """
        self._unchanged()
        key = (select, tuple(params))
        after = self._pages_end.pop((*key, offset), None) if offset else None
        if offset and after is None:
            rows = self.execute(f"{select} ORDER BY {id_column} LIMIT ? OFFSET ?", (*params, limit, offset))
        elif after is None:
            rows = self.execute(f"{select} ORDER BY {id_column} LIMIT ?", (*params, limit))
        else:
            rows = self.execute(f"{select} AND {id_column} > ? ORDER BY {id_column} LIMIT ?", (*params, after, limit))
        ids = [row[0] for row in rows]
        if len(ids) == limit:
            self._pages_end[(*key, offset + limit)] = ids[-1]
        return ids


def connect(db_path: str | Path) -> CountingConnection:
    """Open (creating if needed) the database in WAL mode with the schema in place."""
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False,
                                 factory=CountingConnection)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA busy_timeout = 10000")
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.executescript(SCHEMA)
    _add_setting_columns(connection)
    return connection


def _add_setting_columns(connection: sqlite3.Connection) -> None:
    """Give `datapoints` the SETTING_COLUMNS it lacks (every one, in a new file); additive only.

    Under the write lock, re-reading what is there: another process may be opening the file too.
    """
    if not _missing_setting_columns(connection):
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        for column in _missing_setting_columns(connection):
            connection.execute(f"ALTER TABLE datapoints ADD COLUMN {column} {SETTING_COLUMNS[column]}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _missing_setting_columns(connection: sqlite3.Connection) -> list[str]:
    present = {row["name"] for row in connection.execute("PRAGMA table_info(datapoints)")}
    return [column for column in SETTING_COLUMNS if column not in present]


def now_ymdhis() -> str:
    """The current UTC time in the API's date format."""
    return datetime.now(UTC).strftime(DATE_FORMAT)


def add_account(connection: sqlite3.Connection, key: str) -> int:
    """Create the account for `key` with its system domain (if new); return its id."""
    row = connection.execute("SELECT id FROM accounts WHERE api_key = ?", (key,)).fetchone()
    if row is not None:
        known: int = row["id"]
        return known
    connection.execute("BEGIN IMMEDIATE")
    try:
        account_id = insert_row(connection, "accounts", {"api_key": key, "registration_date": now_ymdhis()})
        insert_row(connection, "domains", {"account_id": account_id, "name": SYSTEM_DOMAIN, "type": "System"})
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return account_id


def register_account(db_path: str | Path, key: str) -> None:
    """Make `key` a valid API key of its own account in the file (idempotent)."""
    connection = connect(db_path)
    try:
        add_account(connection, key)
    finally:
        connection.close()


def default_account_key(db_path: str | Path) -> str:
    """The oldest account's key; one is created when the file has none."""
    connection = connect(db_path)
    try:
        row = connection.execute("SELECT api_key FROM accounts ORDER BY id LIMIT 1").fetchone()
        if row is not None:
            oldest: str = row["api_key"]
            return oldest
        key = secrets.token_hex(16)
        add_account(connection, key)
        return key
    finally:
        connection.close()


class Store:
    """One connection shared by the app's handlers, used under a lock.

    Handlers are quick (microseconds to a few milliseconds), so a lock around
    one connection is simpler and faster than a pool; `transaction()` is the
    only way in, so no two requests interleave statements.
    """

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = Path(db_path)
        self.connection = connect(db_path)
        self._lock = threading.Lock()
        self._accounts: dict[str, int] = {}

    @contextmanager
    def transaction(self) -> Iterator[CountingConnection]:
        """Hold the lock and one SQLite transaction; commit on success, else roll back.

        IMMEDIATE takes the write lock up front: another process writing the
        same file (the CLI's local target beside a `serve`) then makes this one
        wait (busy_timeout) instead of failing a read-then-write transaction.
        """
        with self._lock:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            self.connection.execute("COMMIT")

    def account_for_key(self, key: str) -> int | None:
        """The account id of an API key, or None; known keys are cached (keys never go away)."""
        account_id = self._accounts.get(key)
        if account_id is None:
            with self.transaction() as db:
                row = db.execute("SELECT id FROM accounts WHERE api_key = ?", (key,)).fetchone()
            if row is None:
                return None
            account_id = self._accounts[key] = row["id"]
        return account_id

    def close(self) -> None:
        """Close the connection (the app's shutdown)."""
        with self._lock:
            self.connection.close()


def insert_row(db: sqlite3.Connection, table: str, values: dict[str, Any]) -> int:
    """INSERT one row from a column -> value mapping; return its id."""
    names = ", ".join(values)
    marks = ", ".join("?" * len(values))
    row_id = db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(values.values())).lastrowid
    assert row_id is not None  # sqlite3 sets it after every INSERT
    return row_id


def update_row(db: sqlite3.Connection, table: str, row_id: int, values: dict[str, Any]) -> None:
    """UPDATE the given columns of one row (nothing when `values` is empty)."""
    if values:
        assignments = ", ".join(f"{column} = ?" for column in values)
        db.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", (*values.values(), row_id))
