"""Feedback stage: likes, dislikes and their reasons, kept in a local SQLite file that many users write at once."""
from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

VOTES = {"up": "up", "like": "up", "down": "down", "dislike": "down"}
REASONS = ("wrong section", "not in article", "unclear", "unsafe")
FILENAME = "feedback.sqlite3"
BUSY_TIMEOUT_MS = 10_000  # a writer waits this long for the lock instead of failing with "database is locked"

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    reason TEXT NOT NULL DEFAULT '',
    question TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_answer ON feedback (answer_id);
"""


@dataclass(frozen=True)
class Feedback:
    """One vote on one answer. `question` is None unless question logging was switched on."""

    answer_id: str
    vote: str  # "up" or "down"
    reason: str  # "" or one of REASONS
    question: str | None
    created: float  # unix time


def check_vote(answer_id: str, vote: str, reason: str = "") -> tuple[str, str, str]:
    """Normalise a vote from the UI or the API; raise InputError naming the bad value."""
    try:
        aid = str(uuid.UUID(str(answer_id).strip()))
    except ValueError:
        raise InputError(f"answer_id must be the uuid the answer came with. Currently, it is {answer_id!r}") from None
    v = VOTES.get(str(vote).strip().lower())
    if v is None:
        raise InputError(f"vote must be 'up' or 'down' (or 'like'/'dislike'). Currently, it is {vote!r}")
    r = " ".join(str(reason or "").replace("_", " ").lower().split())
    if r and r not in REASONS:
        raise InputError(f"reason must be empty or one of {', '.join(REASONS)}. Currently, it is {reason!r}")
    return aid, v, r


class FeedbackStore:
    """Append-only votes in `<data_dir>/feedback.sqlite3`. One connection per call, so it is safe across threads
    and processes; WAL lets readers run while one writer writes, busy_timeout makes writers queue, not fail."""

    def __init__(self, path: Path, keep_questions: bool = False) -> None:
        self.path = Path(path)
        self.keep_questions = keep_questions  # patient questions are private: off unless the operator opts in
        self._ready = False
        self._init_lock = threading.Lock()  # the first connections of many threads must not race on the schema

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not self._ready:
            with self._init_lock:
                if not self._ready:
                    con.execute("PRAGMA journal_mode = WAL")  # persistent: stored in the file once
                    con.executescript(SCHEMA)
                    self._ready = True
        con.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a power cut may lose the last vote only
        return con

    def record(self, answer_id: str, vote: str, reason: str = "", question: str | None = None) -> Feedback:
        """Store one vote and return it. Raises InputError for an unknown vote/reason or a non-uuid answer id.
        The question text is dropped unless the store was made with keep_questions=True."""
        aid, v, r = check_vote(answer_id, vote, reason)
        row = Feedback(aid, v, r, question if self.keep_questions and question else None, time.time())
        con = self._connect()
        try:
            con.execute(
                "INSERT INTO feedback (answer_id, vote, reason, question, created) VALUES (?, ?, ?, ?, ?)",
                (row.answer_id, row.vote, row.reason, row.question, row.created),
            )
        finally:
            con.close()
        return row

    def rows(self) -> list[Feedback]:
        """Every vote, oldest first."""
        if not self.path.exists():
            return []
        con = self._connect()
        try:
            cur = con.execute("SELECT answer_id, vote, reason, question, created FROM feedback ORDER BY id")
            return [Feedback(*r) for r in cur.fetchall()]
        finally:
            con.close()

    def disliked(self) -> list[Feedback]:
        """Answers whose latest vote is a dislike (a dislike followed by its reason counts once, with the reason)."""
        latest: dict[str, Feedback] = {}
        for row in self.rows():
            latest[row.answer_id] = row
        return [r for r in latest.values() if r.vote == "down"]


def open_store(data_dir: Path, keep_questions: bool = False) -> FeedbackStore:
    """The store for a data directory (see Config.data_dir and Config.log_questions)."""
    return FeedbackStore(Path(data_dir) / FILENAME, keep_questions)
