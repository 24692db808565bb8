"""Resume state: which chunks of a scan are done, and proof that the source still holds them.

A scan reads its source in fixed chunks (chunk *n* holds records
``n*size .. (n+1)*size-1``) and commits them strictly in order, so the done
chunks are always a prefix ``0 .. K-1``. Each commit records the chunk's
digest (sha256 of its records' ids, texts and dates) and its counts.

* File destinations keep a state folder (default ``DEST.scan-state/``): a
  ``manifest.json`` with the run's fingerprint, and one Parquet part file per
  done chunk, written under a temporary name, fsynced, and renamed into
  place. A part file that exists is complete; the digest and counts travel in
  its metadata. The destination is assembled from the parts at the end, and
  the folder removed.
* Database destinations keep two tables beside the output
  (``safeguard_scan_runs``, ``safeguard_scan_chunks``); a chunk's rows, its
  quarantine entries and its journal row are committed in one transaction.

A re-run with the same fingerprint (source, options, model checksum and
destination) skips the done chunks after checking that the source still
gives the same digests; a re-run with another fingerprint is refused unless
``--restart`` is given.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Dict, Iterable, List, NamedTuple, Optional

from .errors import ScanError, StateMismatchError
from .process import Record

#: Bumped when the state layout or the chunking changes, so old state is never misread.
STATE_VERSION = 1
MANIFEST = "manifest.json"
PART_META_KEY = b"safeguard_chunk"


class ChunkInfo(NamedTuple):
    chunk: int
    digest: str
    stats: Dict[str, int]


def fingerprint_hash(fingerprint: Dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()


def chunk_digest(records: Iterable[Record]) -> str:
    """sha256 over a chunk's records (ids, texts, dates, locations and problems), in order."""
    h = hashlib.sha256()
    for r in records:
        for value in (r.id, r.text, r.date, r.location, r.problem):
            if value is None:
                h.update(b"\x00N")
            else:
                h.update(value.encode("utf-8", "surrogatepass"))
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()


def add_stats(total: Dict[str, int], stats: Dict[str, int]) -> None:
    for key, value in stats.items():
        total[key] = total.get(key, 0) + int(value)


def _mismatch(where: str, old: Dict[str, Any], new: Dict[str, Any]) -> StateMismatchError:
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return StateMismatchError(
        f"an interrupted scan left state in {where} for other arguments (differs in: {', '.join(keys) or 'version'}); "
        "re-run it with the arguments it was started with to finish it, or add --restart to discard it"
    )


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def replace_durably(tmp: Path, final: Path) -> None:
    """fsync ``tmp``, rename it over ``final`` and fsync the folder: all or nothing, even on power loss."""
    fsync_file(tmp)
    os.replace(tmp, final)
    fsync_dir(final.parent)


class PartStore:
    """The state folder of a scan to a file destination."""

    def __init__(self, state_dir: Path):
        self.dir = Path(state_dir)
        self._lock_fd: Optional[int] = None

    def part_path(self, chunk: int) -> Path:
        return self.dir / f"part-{chunk:07d}.parquet"

    def open(self, fingerprint: Dict[str, Any], *, restart: bool = False) -> Dict[int, ChunkInfo]:
        """Take the folder (one scan at a time) and return the done chunks."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        manifest = self.dir / MANIFEST
        current = {"state_version": STATE_VERSION, "fingerprint": fingerprint}
        if manifest.exists():
            try:
                old = json.loads(manifest.read_text(encoding="utf-8"))
            except ValueError:
                old = None
            if old != json.loads(json.dumps(current, default=str)):
                if not restart and old is not None and self._parts():
                    raise _mismatch(str(self.dir), (old or {}).get("fingerprint") or {}, current["fingerprint"])
                self._clear()
        else:
            self._clear()
        if restart:
            self._clear()
        if not manifest.exists():
            tmp = self.dir / (MANIFEST + ".tmp")
            tmp.write_text(json.dumps(current, indent=1, sort_keys=True, default=str), encoding="utf-8")
            replace_durably(tmp, manifest)
        for stale in self.dir.glob("*.tmp"):
            stale.unlink()
        return self._done()

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, one scan per destination is then up to the caller
            return
        fd = os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise ScanError(f"another scan is using {self.dir}") from None
            raise
        self._lock_fd = fd

    def _parts(self) -> List[Path]:
        return sorted(self.dir.glob("part-*.parquet"))

    def _clear(self) -> None:
        for path in self.dir.iterdir():
            if path.name != "lock":
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()

    def _done(self) -> Dict[int, ChunkInfo]:
        """The done prefix; anything after a gap or unreadable is removed (it will be redone)."""
        import pyarrow.parquet as pq

        done: Dict[int, ChunkInfo] = {}
        expected = 0
        for path in self._parts():
            info = None
            try:
                meta = pq.read_schema(path).metadata or {}
                info = ChunkInfo(**json.loads(meta[PART_META_KEY]))
            except Exception:  # noqa: BLE001 - a damaged part is redone
                info = None
            if info is None or info.chunk != expected or path != self.part_path(expected):
                path.unlink()
                continue
            done[info.chunk] = info
            expected += 1
        return done

    def write(self, chunk: int, table: Any, digest: str, stats: Dict[str, int]) -> None:
        """Write one chunk's rows as a part file, atomically."""
        import pyarrow.parquet as pq

        info = json.dumps(ChunkInfo(chunk, digest, stats)._asdict()).encode()
        table = table.replace_schema_metadata({PART_META_KEY: info})
        final = self.part_path(chunk)
        tmp = final.with_name(final.name + ".tmp")
        pq.write_table(table, tmp, compression="zstd")
        replace_durably(tmp, final)

    def read(self, chunk: int):
        import pyarrow.parquet as pq

        return pq.read_table(self.part_path(chunk))

    def close(self, *, remove: bool = False) -> None:
        if remove and self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)
            fsync_dir(self.dir.parent)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


class SqlJournal:
    """Journal tables of a scan to a database destination, committed with each chunk's rows."""

    RUNS = "safeguard_scan_runs"
    CHUNKS = "safeguard_scan_chunks"

    def __init__(self, schema: Optional[str] = None):
        import sqlalchemy as sa

        self.metadata = sa.MetaData(schema=schema)
        self.runs = sa.Table(
            self.RUNS, self.metadata,
            sa.Column("dest_table", sa.String(255), primary_key=True),
            sa.Column("fingerprint_hash", sa.String(64), nullable=False),
            sa.Column("fingerprint", sa.Text, nullable=False),
            sa.Column("started_at", sa.String(40), nullable=False),
        )
        self.chunks = sa.Table(
            self.CHUNKS, self.metadata,
            sa.Column("dest_table", sa.String(255), primary_key=True),
            sa.Column("chunk", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("digest", sa.String(64), nullable=False),
            sa.Column("stats", sa.Text, nullable=False),
        )

    def create(self, engine: Any) -> None:
        self.metadata.create_all(engine, checkfirst=True)

    def begin(self, engine: Any, dest_table: str, fingerprint: Dict[str, Any], *, restart: bool = False) -> Dict[int, ChunkInfo]:
        """Register the run (or find the interrupted one) and return its done chunks."""
        import sqlalchemy as sa

        from .rows import iso_utc, now_utc

        fp_hash = fingerprint_hash(fingerprint)
        with engine.begin() as conn:
            row = conn.execute(sa.select(self.runs).where(self.runs.c.dest_table == dest_table)).first()
            if row is not None and row.fingerprint_hash != fp_hash and not restart:
                done_any = conn.execute(sa.select(sa.func.count()).select_from(self.chunks)
                                        .where(self.chunks.c.dest_table == dest_table)).scalar()
                if done_any:
                    raise _mismatch(f"table {dest_table}", json.loads(row.fingerprint), json.loads(json.dumps(fingerprint, default=str)))
            if row is None or row.fingerprint_hash != fp_hash or restart:
                conn.execute(sa.delete(self.chunks).where(self.chunks.c.dest_table == dest_table))
                conn.execute(sa.delete(self.runs).where(self.runs.c.dest_table == dest_table))
                conn.execute(sa.insert(self.runs).values(
                    dest_table=dest_table, fingerprint_hash=fp_hash,
                    fingerprint=json.dumps(fingerprint, sort_keys=True, default=str), started_at=iso_utc(now_utc())))
                return {}
            rows = conn.execute(sa.select(self.chunks.c.chunk, self.chunks.c.digest, self.chunks.c.stats)
                                .where(self.chunks.c.dest_table == dest_table).order_by(self.chunks.c.chunk)).all()
        done: Dict[int, ChunkInfo] = {}
        for chunk, digest, stats in rows:
            if chunk != len(done):
                break  # never happens with in-order commits; anything after a gap is redone
            done[chunk] = ChunkInfo(chunk, digest, json.loads(stats))
        return done

    def record(self, conn: Any, dest_table: str, chunk: int, digest: str, stats: Dict[str, int]) -> None:
        import sqlalchemy as sa

        conn.execute(sa.delete(self.chunks).where(self.chunks.c.dest_table == dest_table, self.chunks.c.chunk == chunk))
        conn.execute(sa.insert(self.chunks).values(dest_table=dest_table, chunk=chunk, digest=digest,
                                                   stats=json.dumps(stats, sort_keys=True)))

    def finish(self, engine: Any, dest_table: str) -> None:
        import sqlalchemy as sa

        with engine.begin() as conn:
            conn.execute(sa.delete(self.chunks).where(self.chunks.c.dest_table == dest_table))
            conn.execute(sa.delete(self.runs).where(self.runs.c.dest_table == dest_table))
