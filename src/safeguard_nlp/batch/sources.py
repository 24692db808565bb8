"""Chunked readers of record systems: CSV, JSON Lines and Parquet files, and SQL databases.

Every reader streams: it holds one batch of records at a time, never the
whole source. The order is deterministic (files in sorted name order and rows
in file order; database rows in id order), so a re-run sees the same chunks.

Files are read binary-safe: bytes that are not UTF-8 reach the record checks
(``process.check_text``) instead of stopping the read, and the record is
quarantined as "not valid UTF-8".

Databases are read by keyset pagination (``WHERE id >= :last ORDER BY id
LIMIT n``), one short query per page, so no read transaction stays open while
results are written, even into the same SQLite file. This needs the id to be
unique and is fastest when it is indexed (a primary key is).
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
import os
import re
import sys
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from .errors import ScanError, UsageError
from .process import DEFAULT_MAX_CHARS, Record, is_missing, make_record

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
             ".parquet": "parquet", ".pq": "parquet"}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_GLOB_CHARS = re.compile(r"[*?\[]")
_ISO_CHARS = re.compile(r"^[0-9T:.+\-Z ]+$")

#: (id, text, date, location, problem) as read, before the record checks.
RawRecord = Tuple[Any, Any, Any, Optional[str], Optional[str]]


def is_url(spec: str) -> bool:
    """Is ``spec`` a SQLAlchemy database URL (``sqlite:///x.db``, ``postgresql+psycopg://...``)?"""
    return bool(_URL.match(str(spec)))


def format_of(path: Path, override: Optional[str] = None) -> str:
    """The file format, from ``override`` or the name (``.csv``, ``.jsonl``, ``.parquet``, optionally ``.gz``)."""
    if override:
        if override not in FORMATS:
            raise UsageError(f"unknown format {override!r}: use one of {', '.join(FORMATS)}")
        return override
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise UsageError(f"cannot tell the format of {path.name}: name it .csv, .jsonl or .parquet, or give --format")
    return fmt


def _known(path: Path) -> bool:
    try:
        format_of(path)
        return True
    except UsageError:
        return False


def resolve_files(spec: str, fmt: Optional[str] = None, exclude: Sequence[Path] = ()) -> Tuple[Path, List[Path]]:
    """The root and the sorted files of a file, a folder (its data files) or a glob pattern.

    ``exclude`` (a scan's own output files) and hidden files are never read from a folder or glob.
    """
    path = Path(spec)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and (fmt or _known(p)))
        root = path
    elif path.is_file():
        files, root = [path], path.parent
    elif _GLOB_CHARS.search(spec):
        files = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
        fixed = _GLOB_CHARS.split(spec, 1)[0]
        root = Path(fixed) if fixed.endswith(os.sep) else Path(fixed).parent
    else:
        raise UsageError(f"no such file or folder: {spec}")
    if len(files) > 1 or not path.is_file():
        skip = {p.resolve() for p in exclude}
        files = [p for p in files if p.resolve() not in skip and not p.name.startswith(".")
                 and ".scan-state" not in p.as_posix()]
    if not files:
        raise UsageError(f"no input files in {spec}")
    return root, files


# ------------------------------------------------------------------ dates and --since

def parse_when(value: Any) -> Optional[datetime]:
    """A date or time as a naive UTC datetime, or None when it is not one (ISO 8601 text is)."""
    if is_missing(value):
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time())
    elif hasattr(value, "to_pydatetime"):
        dt = value.to_pydatetime()
    else:
        text = str(value).strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt


def parse_since(value: Optional[str]) -> Optional[datetime]:
    if value is None:
        return None
    when = parse_when(value)
    if when is None:
        raise UsageError(f"--since {value!r} is not an ISO 8601 date or time (e.g. 2024-06-01 or 2024-06-01T18:00)")
    return when


# ------------------------------------------------------------------ the source interface

class Source:
    """A record system to scan. ``batches()`` yields lists of raw records, in a fixed order."""

    kind = "source"
    #: Whether ``--since`` is applied by the source itself (a database's WHERE).
    filters_since = False

    def describe(self) -> Dict[str, Any]:
        """What identifies this source (for a run's fingerprint; never a password)."""
        raise NotImplementedError

    def batches(self) -> Iterator[List[RawRecord]]:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _find_column(names: Sequence[str], wanted: str, what: str, where: str) -> str:
    if wanted in names:
        return wanted
    folded = [n for n in names if str(n).lower() == wanted.lower()]
    if len(folded) == 1:
        return folded[0]
    shown = ", ".join(map(str, names[:20])) + (" ..." if len(names) > 20 else "")
    raise UsageError(f"{where} has no {what} column {wanted!r} (columns: {shown})")


class FileSource(Source):
    """CSV, JSON Lines or Parquet files: one file, a folder of them or a glob pattern."""

    kind = "files"

    def __init__(self, spec: str, *, id_col: str = "id", text_col: str = "text", date_col: Optional[str] = None,
                 fmt: Optional[str] = None, batch_size: int = 2000, exclude: Sequence[Path] = ()):
        self.spec = spec
        self.root, self.files = resolve_files(spec, fmt, exclude)
        self.formats = [format_of(p, fmt) for p in self.files]
        self.id_col, self.text_col, self.date_col = id_col, text_col, date_col
        self.batch_size = batch_size
        self._columns = {p: self._check_columns(p, f) for p, f in zip(self.files, self.formats)}

    def describe(self) -> Dict[str, Any]:
        return {"kind": self.kind, "spec": str(Path(self.spec).resolve()) if not _GLOB_CHARS.search(self.spec)
                else os.path.abspath(self.spec), "id_col": self.id_col, "text_col": self.text_col,
                "date_col": self.date_col, "formats": sorted(set(self.formats))}

    def _name(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    # -- column checks, before any record is read

    def _wanted(self) -> List[Tuple[str, str]]:
        out = [("id", self.id_col), ("text", self.text_col)]
        if self.date_col:
            out.append(("date", self.date_col))
        return out

    def _check_columns(self, path: Path, fmt: str) -> Optional[List[str]]:
        where = self._name(path)
        try:
            if fmt == "csv":
                with _open_text(path) as f:
                    header = next(csv.reader(f, delimiter=_delimiter(path)), None)
                if header is None:
                    return None  # an empty file holds no records
                return [_find_column(header, col, what, where) for what, col in self._wanted()]
            if fmt == "parquet":
                import pyarrow.parquet as pq

                names = pq.ParquetFile(path).schema_arrow.names
                return [_find_column(names, col, what, where) for what, col in self._wanted()]
            with _open_binary(path) as f:
                for line in f:
                    if line.strip():
                        try:
                            first = json.loads(line.decode("utf-8", "surrogateescape"))
                        except ValueError:
                            raise UsageError(f"{where} is not JSON Lines (one JSON object a line)") from None
                        if not isinstance(first, dict):
                            raise UsageError(f"{where} is not JSON Lines (one JSON object a line)")
                        return [_find_column(list(first), col, what, where) for what, col in self._wanted()]
            return None
        except UsageError:
            raise
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read {where}: {exc}") from exc

    # -- reading

    def batches(self) -> Iterator[List[RawRecord]]:
        for path, fmt in zip(self.files, self.formats):
            cols = self._columns[path]
            if cols is None:
                continue
            reader = {"csv": self._csv, "jsonl": self._jsonl, "parquet": self._parquet}[fmt]
            try:
                yield from reader(path, cols)
            except (OSError, csv.Error, ValueError) as exc:
                raise ScanError(f"reading {self._name(path)} failed: {type(exc).__name__}") from exc

    def _csv(self, path: Path, cols: List[str]) -> Iterator[List[RawRecord]]:
        csv.field_size_limit(sys.maxsize)
        name = self._name(path)
        with _open_text(path) as f:
            reader = csv.reader(f, delimiter=_delimiter(path))
            header = next(reader)
            index = [header.index(c) for c in cols]
            width = max(index) + 1
            i_id, i_text = index[0], index[1]
            i_date = index[2] if len(index) > 2 else None
            batch: List[RawRecord] = []
            for n, row in enumerate(reader, start=1):
                if not row:
                    continue
                if len(row) < width:
                    batch.append((row[i_id] if len(row) > i_id else None, None, None, f"{name}:{n}",
                                  f"malformed CSV row ({len(row)} of {len(header)} fields)"))
                else:
                    batch.append((row[i_id], row[i_text], row[i_date] if i_date is not None else None, f"{name}:{n}", None))
                if len(batch) >= self.batch_size:
                    yield batch
                    batch = []
            if batch:
                yield batch

    def _jsonl(self, path: Path, cols: List[str]) -> Iterator[List[RawRecord]]:
        name = self._name(path)
        c_id, c_text = cols[0], cols[1]
        c_date = cols[2] if len(cols) > 2 else None
        batch: List[RawRecord] = []
        with _open_binary(path) as f:
            for n, line in enumerate(f, start=1):
                line = line.strip()
                if not line:
                    continue
                batch.append(jsonl_record(line, f"{name}:{n}", c_id, c_text, c_date))
                if len(batch) >= self.batch_size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def _parquet(self, path: Path, cols: List[str]) -> Iterator[List[RawRecord]]:
        import pyarrow.parquet as pq

        name = self._name(path)
        row = 0
        wanted = list(dict.fromkeys(cols))
        with pq.ParquetFile(path) as pf:
            for rb in pf.iter_batches(batch_size=self.batch_size, columns=wanted):
                data = {c: rb.column(c).to_pylist() for c in wanted}
                ids, texts = data[cols[0]], data[cols[1]]
                dates = data[cols[2]] if len(cols) > 2 else [None] * len(ids)
                batch = [(i, t, d, f"{name}:{row + k + 1}", None) for k, (i, t, d) in enumerate(zip(ids, texts, dates))]
                row += len(batch)
                yield batch


def jsonl_record(line: bytes, location: str, c_id: str, c_text: str, c_date: Optional[str]) -> RawRecord:
    """One stripped, non-blank JSON Lines line as a raw record, or a problem ("not valid JSON", "not a JSON object")."""
    try:
        obj = json.loads(line.decode("utf-8", "surrogateescape"))
    except ValueError:
        return (None, None, None, location, "not valid JSON")
    if not isinstance(obj, dict):
        return (None, None, None, location, "not a JSON object")
    return (obj.get(c_id), obj.get(c_text), obj.get(c_date) if c_date else None, location, None)


def _delimiter(path: Path) -> str:
    return "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def _open_text(path: Path):
    # surrogateescape: bytes that are not UTF-8 survive the read and quarantine their record only.
    return io.TextIOWrapper(_open_binary(path), encoding="utf-8-sig", errors="surrogateescape", newline="")


class SqlSource(Source):
    """A table (``--table``) or query (``--query``) of any SQLAlchemy database, read in id order."""

    kind = "sql"
    filters_since = True

    def __init__(self, url: str, *, table: Optional[str] = None, query: Optional[str] = None, id_col: str = "id",
                 text_col: str = "text", date_col: Optional[str] = None, since: Optional[str] = None,
                 batch_size: int = 2000):
        import sqlalchemy as sa

        if bool(table) == bool(query):
            raise UsageError("a database source needs exactly one of --table or --query")
        self.url = url
        self.table_name, self.query = table, (query.strip().rstrip(";") if query else None)
        self.id_col, self.text_col, self.date_col = id_col, text_col, date_col
        self.since = since
        self.batch_size = batch_size
        self.engine = open_engine(url, must_exist=True)
        try:
            self._select_parts = self._prepare(sa)
        except UsageError:
            self.engine.dispose()
            raise
        except sa.exc.SQLAlchemyError as exc:
            self.engine.dispose()
            raise UsageError(f"cannot read the source: {_db_error(exc)}") from exc

    def describe(self) -> Dict[str, Any]:
        return {"kind": self.kind, "url": safe_url(self.url), "table": self.table_name, "query": self.query,
                "id_col": self.id_col, "text_col": self.text_col, "date_col": self.date_col}

    def _prepare(self, sa):
        wanted = [("id", self.id_col), ("text", self.text_col)] + ([("date", self.date_col)] if self.date_col else [])
        if self.table_name:
            schema, _, name = self.table_name.rpartition(".")
            try:
                table = sa.Table(name, sa.MetaData(), autoload_with=self.engine, schema=schema or None)
            except sa.exc.NoSuchTableError:
                raise UsageError(f"the source database has no table {self.table_name!r}") from None
            names = [c.name for c in table.columns]
            cols = [table.c[_find_column(names, col, what, f"table {self.table_name}")] for what, col in wanted]
            self.location = self.table_name
        else:
            with self.engine.connect() as conn:
                names = list(conn.execute(sa.text(f"SELECT * FROM ({self.query}) AS safeguard_probe WHERE 1=0")).keys())
            found = [_find_column(names, col, what, "--query") for what, col in wanted]
            sub = sa.text(self.query).columns(*[sa.column(c) for c in dict.fromkeys(found)]).subquery("safeguard_src")
            cols = [sub.c[c] for c in found]
            self.location = "query"
        id_c = cols[0]
        where = [id_c.isnot(None)]
        if self.since is not None and len(cols) > 2:
            where.append(self._since_clause(sa, cols[2]))
        return cols, where

    def _since_clause(self, sa, col):
        """``date >= since``, done by the database.

        SQLite keeps dates as text in several ISO 8601 spellings, so both sides go
        through its ``datetime()``. Elsewhere the value is an untyped SQL literal,
        which the database reads as the column's type (date, timestamp or text);
        it is safe to inline because ``parse_since`` accepted it and it holds only
        digits and ISO 8601 punctuation.
        """
        parse_since(self.since)
        if self.engine.dialect.name == "sqlite":
            return sa.func.datetime(col) >= sa.func.datetime(sa.literal(self.since))
        if not _ISO_CHARS.match(self.since):
            raise UsageError(f"--since {self.since!r}: use an ISO 8601 date or time")
        return col >= sa.literal_column(f"'{self.since}'")

    def batches(self) -> Iterator[List[RawRecord]]:
        import sqlalchemy as sa

        cols, where = self._select_parts
        id_c = cols[0]
        last: Any = None
        while True:
            stmt = sa.select(*cols).where(*where)
            limit = self.batch_size
            if last is not None:
                stmt = stmt.where(id_c >= last)
                limit += 1  # the previous page's last row comes back first
            stmt = stmt.order_by(id_c).limit(limit)
            try:
                with self.engine.connect() as conn:
                    page = conn.execute(stmt).fetchall()
            except sa.exc.SQLAlchemyError as exc:
                raise ScanError(f"reading the source failed: {_db_error(exc)}") from exc
            fetched = len(page)
            if last is not None:
                repeats = 0
                while repeats < len(page) and page[repeats][0] == last:
                    repeats += 1
                if repeats > 1:
                    self._duplicate(last)
                page = page[repeats:]
            for a, b in zip(page, page[1:]):
                if a[0] == b[0]:
                    self._duplicate(a[0])
            if page:
                yield [(r[0], r[1], r[2] if len(r) > 2 else None, self.location, None) for r in page]
                last = page[-1][0]
            if fetched < limit or not page:
                return

    def _duplicate(self, value: Any) -> None:
        raise ScanError(f"id {value!r} appears more than once in column {self.id_col!r}: a database source "
                        "needs a unique id column (it is read in id order)")

    def close(self) -> None:
        self.engine.dispose()


def open_engine(url: str, *, must_exist: bool = False):
    """A SQLAlchemy engine; SQLite files get a generous busy timeout (a reader and a writer may share one)."""
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise UsageError(f"not a database URL: {safe_url(url)}") from exc
    kwargs: Dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and not db.startswith("file:"):
            if must_exist and not Path(db).is_file():
                raise UsageError(f"no such SQLite database: {db}")
            try:
                Path(db).parent.mkdir(parents=True, exist_ok=True)  # a new database file may need its folder
            except OSError as exc:
                raise ScanError(f"cannot create the folder of {db}: {exc.strerror}") from exc
        kwargs["connect_args"] = {"timeout": 120}
    try:
        return sa.create_engine(parsed, **kwargs)
    except (ImportError, sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        hint = " (pip install 'safeguard-nlp[postgres]')" if parsed.get_backend_name() == "postgresql" else ""
        raise UsageError(f"cannot open {safe_url(url)}: {exc}{hint}") from exc


def safe_url(url: str) -> str:
    """A database URL with any password hidden."""
    try:
        import sqlalchemy as sa

        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", str(url))


def _db_error(exc: BaseException) -> str:
    """A database error in one line, without the SQL or its parameters (which may hold narrative text)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return f"{type(orig or exc).__name__}: {text[0] if text else ''}"[:300]


def open_source(spec: str, *, table: Optional[str] = None, query: Optional[str] = None, fmt: Optional[str] = None,
                id_col: str = "id", text_col: str = "text", date_col: Optional[str] = None,
                since: Optional[str] = None, batch_size: int = 2000, exclude: Sequence[Path] = ()) -> Source:
    """The source named by ``spec``: a database URL, or a file, folder or glob."""
    if since is not None and not date_col:
        raise UsageError("--since needs --date-col")
    parse_since(since)
    if is_url(spec):
        if fmt:
            raise UsageError("--format is for files, not a database URL")
        return SqlSource(spec, table=table, query=query, id_col=id_col, text_col=text_col, date_col=date_col,
                         since=since, batch_size=batch_size)
    if table or query:
        raise UsageError("--table and --query need a database URL as the source")
    return FileSource(spec, id_col=id_col, text_col=text_col, date_col=date_col, fmt=fmt, batch_size=batch_size,
                      exclude=exclude)


def read_records(source: Source, *, since: Optional[str] = None, max_chars: int = DEFAULT_MAX_CHARS,
                 snippets: bool = False) -> Iterator[Record]:
    """The source's checked records, numbered from 0, with ``--since`` applied to files.

    With ``--since``, a file record with no date is left out (as a database's
    ``date >= since`` leaves it out), and one whose date cannot be read is
    quarantined.
    """
    cutoff = parse_since(since) if (since is not None and not source.filters_since) else None
    seq = 0
    for batch in source.batches():
        for raw_id, raw_text, raw_date, location, problem in batch:
            if cutoff is not None and problem is None:
                if is_missing(raw_date) or (isinstance(raw_date, str) and not raw_date.strip()):
                    continue
                when = parse_when(raw_date)
                if when is None:
                    problem = "date not understood"
                elif when < cutoff:
                    continue
            yield make_record(seq, raw_id, raw_text, raw_date, location, max_chars=max_chars, snippets=snippets,
                              problem=problem)
            seq += 1


def chunked(records: Iterator[Record], size: int) -> Iterator[Tuple[int, List[Record]]]:
    """``(chunk number, records)`` of ``size`` records each (the last may be shorter)."""
    chunk: List[Record] = []
    n = 0
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield n, chunk
            n += 1
            chunk = []
    if chunk:
        yield n, chunk
