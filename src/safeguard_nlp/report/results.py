"""Read a scan's output back, row by row, whatever format the scan wrote.

``safeguard-nlp scan`` writes CSV, JSON Lines or Parquet files (optionally
gzipped) or a database table (see :mod:`safeguard_nlp.batch.rows` for the
columns). :func:`iter_results` streams any of them as one plain dict per
record, in one canonical form:

* booleans are ``True``/``False`` (``None`` for a quarantined record);
* ``risk_factors``, ``child_ages`` and ``flags`` are Python lists;
* ``evidence`` is the parsed JSON object (``{}`` when the scan kept none);
* ``id`` and ``record_date`` are text, as the scan wrote them (a CSV cell
  that the scan prefixed with ``'`` so a spreadsheet would not run it as a
  formula is read back without the prefix).

Only one batch of rows is held at a time, so a report over millions of
records needs memory for its figures and listed records only. File and
database handling (format from the name, folders and globs, SQLite busy
timeouts, passwords hidden in messages) is the scanner's own, from
:mod:`safeguard_nlp.batch.sources`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ..batch import rows as R
from ..batch.errors import ScanError, UsageError
from ..batch.process import id_text
from ..batch.sinks import DEFAULT_OUTPUT_TABLE, FORMULA_TRIGGERS
from ..batch.sources import format_of, is_url, open_engine, open_source, resolve_files, safe_url

#: Columns a table must have to be read as scan output.
REQUIRED = ("id", "status", "flags", "evidence")

_BOOL_COLS = tuple(n for n, t in R.COLUMN_TYPES.items() if t == "bool")
_LIST_COLS = tuple(n for n, t in R.COLUMN_TYPES.items() if t.startswith("list<"))
_TEXT_COLS = ("id", "record_date", "status", "status_reason", "pipeline_version", "model_checksum")
_TRUE = {"true", "1", "t", "yes"}
_FALSE = {"false", "0", "f", "no"}


def _bool(value: Any) -> Optional[bool]:
    if value is None:
        return None
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        return None
    if isinstance(value, float) and value != value:
        return None
    return bool(value)


def _list(value: Any) -> Optional[List[Any]]:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
    if isinstance(value, float) and value != value:
        return None
    try:
        return list(value)
    except TypeError:
        return None


def _text(value: Any, *, csv_cell: bool = False) -> Optional[str]:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    if csv_cell:
        if text == "":
            return None
        if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
            text = text[1:]
    return text


def _evidence(value: Any) -> Dict[str, List[Dict[str, Any]]]:
    if value is None or (isinstance(value, float) and value != value):
        return {}
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def normalise_row(raw: Dict[str, Any], *, from_csv: bool = False) -> Dict[str, Any]:
    """One output row (as read from any format) in canonical Python form."""
    out: Dict[str, Any] = {}
    for name in _TEXT_COLS:
        out[name] = _text(raw.get(name), csv_cell=from_csv)
    for name in _BOOL_COLS:
        out[name] = _bool(raw.get(name))
    for name in _LIST_COLS:
        out[name] = _list(raw.get(name))
    out["evidence"] = _evidence(raw.get("evidence"))
    out["processed_at"] = _text(raw.get("processed_at"))
    if out["status"] is None:
        out["status"] = R.STATUS_OK if out.get("children_present") is not None else R.STATUS_QUARANTINED
    return out


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def _open_text(path: Path):
    return io.TextIOWrapper(_open_binary(path), encoding="utf-8-sig", errors="replace", newline="")


def _db_error(exc: BaseException) -> str:
    """A database error in one line, without the SQL or its parameters (which may hold narrative text)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return f"{type(orig or exc).__name__}: {text[0] if text else ''}"[:300]


def _check_columns(names: List[str], where: str) -> None:
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise UsageError(f"{where} is not the output of safeguard-nlp scan (no column {', '.join(missing)})")


def _is_quarantine_file(path: Path) -> bool:
    return ".quarantine." in path.name


def _csv_rows(path: Path) -> Iterator[Dict[str, Any]]:
    csv.field_size_limit(sys.maxsize)
    with _open_text(path) as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        _check_columns(header, path.name)
        for row in reader:
            if row:
                yield normalise_row(dict(zip(header, row)), from_csv=True)


def _jsonl_rows(path: Path) -> Iterator[Dict[str, Any]]:
    checked = False
    with _open_binary(path) as f:
        for n, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line.decode("utf-8", "replace"))
            except ValueError:
                raise UsageError(f"{path.name} line {n} is not JSON: not the output of safeguard-nlp scan") from None
            if not isinstance(obj, dict):
                raise UsageError(f"{path.name} line {n} is not a JSON object")
            if not checked:
                _check_columns(list(obj), path.name)
                checked = True
            yield normalise_row(obj)


def _parquet_rows(path: Path, batch_size: int) -> Iterator[Dict[str, Any]]:
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as pf:
        names = pf.schema_arrow.names
        _check_columns(names, path.name)
        wanted = [c for c in R.COLUMNS if c in names]
        for rb in pf.iter_batches(batch_size=batch_size, columns=wanted):
            for raw in rb.to_pylist():
                yield normalise_row(raw)


def _sql_rows(url: str, table: str, batch_size: int) -> Iterator[Dict[str, Any]]:
    import sqlalchemy as sa

    engine = open_engine(url, must_exist=True)
    try:
        schema, _, name = table.rpartition(".")
        try:
            t = sa.Table(name, sa.MetaData(), autoload_with=engine, schema=schema or None)
        except sa.exc.NoSuchTableError:
            raise UsageError(f"{safe_url(url)} has no table {table!r}") from None
        except sa.exc.SQLAlchemyError as exc:
            raise ScanError(f"cannot read {safe_url(url)}: {_db_error(exc)}") from exc
        names = [c.name for c in t.columns]
        _check_columns(names, f"table {table}")
        cols = [t.c[c] for c in R.COLUMNS if c in names]
        try:
            with engine.connect() as conn:
                result = conn.execution_options(yield_per=batch_size).execute(sa.select(*cols).order_by(t.c.id))
                for row in result:
                    yield normalise_row(dict(row._mapping))
        except sa.exc.SQLAlchemyError as exc:
            raise ScanError(f"reading {table} failed: {_db_error(exc)}") from exc
    finally:
        engine.dispose()


def iter_results(spec: str, *, table: Optional[str] = None, fmt: Optional[str] = None,
                 batch_size: int = 5000) -> Iterator[Dict[str, Any]]:
    """The rows of a scan output: a file, a folder or glob of files, or a database URL with ``table``.

    In a folder, quarantine files (``*.quarantine.*``) are skipped: quarantined
    records are in the main output too, with status ``quarantined``.
    """
    if is_url(spec):
        if fmt:
            raise UsageError("--format is for files, not a database URL")
        yield from _sql_rows(spec, table or DEFAULT_OUTPUT_TABLE, batch_size)
        return
    if table:
        raise UsageError("--table needs a database URL")
    _, files = resolve_files(spec, fmt)
    if len(files) > 1:
        files = [p for p in files if not _is_quarantine_file(p)]
    for path in files:
        kind = format_of(path, fmt)
        try:
            if kind == "csv":
                yield from _csv_rows(path)
            elif kind == "jsonl":
                yield from _jsonl_rows(path)
            else:
                yield from _parquet_rows(path, batch_size)
        except UsageError:
            raise
        except (OSError, csv.Error, ValueError) as exc:
            raise ScanError(f"reading {path.name} failed: {type(exc).__name__}: {str(exc)[:200]}") from exc


def describe_source(spec: str, table: Optional[str] = None) -> str:
    """What a report names as its input: a file name, or a database URL (password hidden) and table."""
    if is_url(spec):
        return f"{safe_url(spec)} table {table or DEFAULT_OUTPUT_TABLE}"
    return str(spec)


def read_groups(spec: str, *, group_col: str = "source", id_col: str = "id", table: Optional[str] = None,
                fmt: Optional[str] = None) -> Dict[str, str]:
    """``{record id: group}`` from the scan's input (its ``source`` column, say), to join on ``id``.

    The scan output does not carry the input's other columns; this reads only
    the id and the group column of the records the scan read (a file, a
    folder, a glob, or a database URL with ``table``), with the scanner's own
    readers. Ids are read as the scan reads them, so they match its output.
    """
    source = open_source(spec, table=table, fmt=fmt, id_col=id_col, text_col=group_col)
    out: Dict[str, str] = {}
    try:
        for batch in source.batches():
            for raw_id, raw_group, _date, _loc, problem in batch:
                record_id = id_text(raw_id)
                if record_id is None or problem is not None:
                    continue
                group = _text(raw_group)
                out[record_id] = group.strip() if group and group.strip() else "(none)"
    finally:
        source.close()
    return out


def read_frame(spec: str, *, table: Optional[str] = None, fmt: Optional[str] = None):
    """A scan output as a pandas DataFrame (canonical forms as above; ``evidence`` parsed)."""
    import pandas as pd

    rows = list(iter_results(spec, table=table, fmt=fmt))
    columns: Tuple[str, ...] = R.COLUMNS
    return pd.DataFrame(rows, columns=list(columns))


__all__ = ["describe_source", "iter_results", "normalise_row", "read_frame", "read_groups"]
