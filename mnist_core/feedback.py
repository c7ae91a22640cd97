"""Corrections users submit ("it was a 4", "that is no digit"), kept in an embedded SQLite database.

One row per correction: when, which anonymous browser session, which model answered what with what
confidence, the true label, the original image (PNG) and the 28x28 digit the model saw. The operator
exports them (`mnist-feedback export`) and `learn.learn_from_corrections` fine-tunes a model on them.

Labels: 0-9 is the digit the user says it is; "not a digit" is None in this API and NULL in the
database, NOT_A_DIGIT (-1) in `as_split` (the training label of images that are no digit, see
train._loss) and -1 in an export's labels.csv. `predicted` is None (empty in the CSV) when no digit
was answered.

Every call opens its own connection (the app calls from several threads; a connection per call is
about a tenth of a millisecond), in WAL mode with synchronous=FULL: a correction is on disk when
`add` returns. Any database failure (corrupt, locked, unwritable) is a FeedbackUnavailable, so a
caller can turn corrections off and keep predicting.

Over 250 lines because it is one table: its schema, the checks on what goes in and the export read
together; FeedbackStore alone is ~140 of them.
"""

from __future__ import annotations

import builtins
import csv
import datetime as dt
import io
import numbers
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .mnist import NOT_A_DIGIT, Split
from .paths import data_home

SCHEMA_VERSION = 1  # PRAGMA user_version of the database this code writes
DB_NAME = "feedback.sqlite3"
SIDE = 28
# Stored originals are scaled down to this long side: a phone photo as PNG is tens of MB, and the
# digit is read at a fraction of this anyway (image_io.WORK_SIDE).
MAX_STORED_SIDE = 1024

_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS corrections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time TEXT NOT NULL,
        session TEXT NOT NULL,
        model TEXT NOT NULL,
        label INTEGER CHECK (label IS NULL OR label BETWEEN 0 AND 9),
        predicted INTEGER CHECK (predicted IS NULL OR predicted BETWEEN 0 AND 9),
        confidence REAL,
        image_png BLOB NOT NULL,
        seen BLOB NOT NULL CHECK (length(seen) = {SIDE * SIDE})
    )""",
    "CREATE INDEX IF NOT EXISTS corrections_session ON corrections (session)",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
)
_COLUMNS = "id, time, session, model, label, predicted, confidence, image_png, seen"
CSV_HEADER = ("filename", "label", "predicted", "model", "time")


class FeedbackUnavailable(RuntimeError):
    """The corrections database cannot be used: corrupt, locked, or not writable."""


@dataclass(frozen=True)
class Correction:
    id: int
    time: str  # UTC, ISO 8601
    session: str
    model: str
    label: int | None  # None: not a digit
    predicted: int | None  # None: the model answered no digit
    confidence: float | None
    image_png: bytes  # the original image
    seen: bytes  # the 28x28 the model saw, uint8 row by row

    @property
    def seen_pixels(self) -> np.ndarray:
        """The 28x28 the model saw, uint8 (255 is full ink)."""
        return np.frombuffer(self.seen, dtype=np.uint8).reshape(SIDE, SIDE)

    def image(self) -> Image.Image:
        return Image.open(io.BytesIO(self.image_png))


class FeedbackStats(TypedDict):
    total: int
    sessions: int
    by_label: dict[int | None, int]  # None: not a digit
    by_predicted: dict[int | None, int]
    pairs: dict[tuple[int | None, int | None], int]  # (label, predicted) -> count


def default_db_path() -> Path:
    """feedback.sqlite3 in the user data folder ($MNIST_CANVAS_HOME when set)."""
    return data_home() / DB_NAME


def _digit_or_none(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not 0 <= value <= 9:
        raise ValueError(f"{what} must be a digit 0-9 or None (not a digit), not {value!r}")
    return int(value)


def _png(image: np.ndarray | Image.Image | bytes) -> bytes:
    """PNG bytes of an array (uint8, or float in [0, 1]), a PIL image, or encoded image bytes."""
    img: Image.Image
    if isinstance(image, (bytes, bytearray)):
        try:
            img = Image.open(io.BytesIO(image))
            img.load()
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
            raise ValueError(f"the image bytes are not an image this program can read ({exc})") from None
    elif isinstance(image, Image.Image):
        img = image
    elif isinstance(image, np.ndarray):
        img = Image.fromarray(_as_uint8(image, "the image"))
    else:
        raise TypeError(f"the image must be an array, a PIL image or image bytes, not a {type(image).__name__}")
    if img.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    if max(img.size) > MAX_STORED_SIDE:
        img = img.copy()
        img.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _as_uint8(arr: np.ndarray, what: str) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind not in "fiub" or arr.size == 0:
        raise ValueError(f"{what} must be a non-empty numeric array, not {arr.dtype} of shape {arr.shape}")
    values = arr.astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{what} holds NaN or infinite values")
    if arr.dtype.kind == "f":  # floats are [0, 1] pixels, as preprocess returns them
        values = values * 255.0
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _seen_bytes(seen: np.ndarray) -> bytes:
    arr = np.asarray(seen)
    if arr.shape != (SIDE, SIDE):
        raise ValueError(f"seen must be the 28x28 image the model saw, not shape {arr.shape}")
    return _as_uint8(arr, "seen").tobytes()


def _explain(exc: BaseException) -> str:
    """What a user can do about an SQLite or file error."""
    text = str(exc)
    low = text.lower()
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return f"it is corrupt ({text}); move it away to start a new one"
    if "locked" in low or "busy" in low:
        return f"it is locked by another program ({text})"
    if "readonly" in low or "read-only" in low or "unable to open" in low or isinstance(exc, PermissionError):
        return f"it cannot be opened for writing ({text}); check the folder's permissions"
    return text


class FeedbackStore:
    """The corrections database at `path` (default: default_db_path()), opened afresh by every call."""

    def __init__(self, path: str | os.PathLike[str] | None = None, timeout: float = 5.0) -> None:
        self.path = Path(path).expanduser() if path is not None else default_db_path()
        self.timeout = timeout  # seconds to wait for another writer before calling the database locked

    def __repr__(self) -> str:
        return f"FeedbackStore({str(self.path)!r})"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A ready connection (schema created or checked); every failure becomes FeedbackUnavailable."""
        conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA secure_delete=ON")  # cleared corrections are overwritten, not only unlinked
            self._ensure_schema(conn)
            yield conn
        except (sqlite3.Error, OSError) as exc:
            raise FeedbackUnavailable(f"the corrections database {self.path} cannot be used: {_explain(exc)}") from exc
        finally:
            if conn is not None:
                conn.close()

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        if self._check_version(conn) == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")  # one connection creates the tables; the others wait, then see them
        try:
            if self._check_version(conn) != SCHEMA_VERSION:
                for statement in _SCHEMA:
                    conn.execute(statement)
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def _check_version(self, conn: sqlite3.Connection) -> int:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise FeedbackUnavailable(f"the corrections database {self.path} was written by a newer version of "
                                      f"mnist-canvas (schema {version}, this one reads {SCHEMA_VERSION})")  # fmt: skip
        return version

    def add(
        self,
        image: np.ndarray | Image.Image | bytes,
        seen: np.ndarray,
        label: int | None,
        predicted: int | None,
        confidence: float | None,
        model: str,
        session: str,
    ) -> int:
        """Store one correction and return its id; it is committed to disk when this returns.
        `label` None means "not a digit"; a label outside 0-9 is a ValueError."""
        label = _digit_or_none(label, "label")
        predicted = _digit_or_none(predicted, "predicted")
        if confidence is not None and (
            isinstance(confidence, bool) or not isinstance(confidence, numbers.Real) or not 0 <= confidence <= 1
        ):
            raise ValueError(f"confidence must be a probability in [0, 1] or None, not {confidence!r}")
        if not isinstance(model, str) or not model or not isinstance(session, str) or not session:
            raise ValueError("model and session must be non-empty strings")
        row = (dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"), session, model, label, predicted,
               None if confidence is None else float(confidence), _png(image), _seen_bytes(seen))  # fmt: skip
        with self._connect() as conn:
            cur = conn.execute("INSERT INTO corrections (time, session, model, label, predicted, confidence, "
                               "image_png, seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)  # fmt: skip
            assert cur.lastrowid is not None
            return cur.lastrowid

    def list(self, session: str | None = None) -> builtins.list[Correction]:
        """Every correction (or one session's), oldest first."""
        where, args = _session_filter(session)
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM corrections{where} ORDER BY id", args).fetchall()
        return [Correction(*row) for row in rows]

    def count(self, session: str | None = None) -> int:
        where, args = _session_filter(session)
        with self._connect() as conn:
            return int(conn.execute(f"SELECT count(*) FROM corrections{where}", args).fetchone()[0])

    def stats(self, session: str | None = None) -> FeedbackStats:
        """Counts per true label, per predicted digit, and per (label, predicted) pair."""
        where, args = _session_filter(session)
        with self._connect() as conn:
            rows = conn.execute(f"SELECT label, predicted, session FROM corrections{where}", args).fetchall()
        pairs = Counter((label, predicted) for label, predicted, _ in rows)
        return FeedbackStats(
            total=len(rows),
            sessions=len({s for _, _, s in rows}),
            by_label=dict(Counter(label for label, _, _ in rows)),
            by_predicted=dict(Counter(predicted for _, predicted, _ in rows)),
            pairs=dict(pairs),
        )

    def export(self, folder: str | os.PathLike[str], session: str | None = None) -> Path:
        """Write each correction's original image as <id>.png (and what the model saw as
        seen/<id>.png) into `folder`, then labels.csv listing them; returns the CSV's path."""
        corrections = self.list(session)
        folder = Path(folder).expanduser()
        try:
            (folder / "seen").mkdir(parents=True, exist_ok=True)
            rows = [_export_one(c, folder) for c in corrections]
            return _write_csv(folder / "labels.csv", rows)
        except OSError as exc:
            raise FeedbackUnavailable(f"cannot export the corrections to {folder}: {exc}") from exc

    def clear(self, session: str | None = None) -> int:
        """Delete every correction (or one session's); returns how many were deleted."""
        where, args = _session_filter(session)
        with self._connect() as conn:
            deleted = conn.execute(f"DELETE FROM corrections{where}", args).rowcount
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the deleted images leave the WAL file too
        return int(deleted)

    def as_split(self, session: str | None = None) -> Split:
        """The 28x28 images the model saw (uint8) with their labels, NOT_A_DIGIT for "not a digit",
        oldest first: ready for learn.learn_from_corrections or train.train."""
        where, args = _session_filter(session)
        with self._connect() as conn:  # not the originals: they are most of the bytes, and not needed here
            rows = conn.execute(f"SELECT label, seen FROM corrections{where} ORDER BY id", args).fetchall()
        if not rows:
            return Split(torch.zeros((0, SIDE, SIDE), dtype=torch.uint8), torch.zeros(0, dtype=torch.long))
        pixels = np.frombuffer(b"".join(seen for _, seen in rows), dtype=np.uint8).reshape(-1, SIDE, SIDE)
        images = torch.from_numpy(pixels.copy())  # a writable copy: frombuffer's array is read-only
        labels = torch.tensor([NOT_A_DIGIT if label is None else label for label, _ in rows], dtype=torch.long)
        return Split(images, labels)


def _session_filter(session: str | None) -> tuple[str, tuple[str, ...]]:
    if session is None:
        return "", ()
    if not isinstance(session, str):
        raise TypeError(f"session must be a string or None, not {session!r}")
    return " WHERE session = ?", (session,)


def _export_one(c: Correction, folder: Path) -> tuple[str, str, str, str, str]:
    name = f"{c.id:06d}.png"
    (folder / name).write_bytes(c.image_png)
    Image.fromarray(c.seen_pixels).save(folder / "seen" / name)
    label = NOT_A_DIGIT if c.label is None else c.label
    return name, str(label), "" if c.predicted is None else str(c.predicted), c.model, c.time


def _write_csv(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    """Written last and renamed into place: a labels.csv never lists images that are not there yet."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_HEADER)
        writer.writerows(rows)
    os.replace(tmp, path)
    return path
