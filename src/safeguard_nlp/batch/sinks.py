"""Destinations of a scan: CSV, JSON Lines and Parquet files, or a database table by upsert.

A sink takes chunks in order (``write_chunk``) and makes each durable before
returning, so a kill at any instant loses at most the chunks in flight:

* a file sink writes each chunk as a part file in its state folder and only
  at ``finish`` assembles the destination (under a temporary name, fsynced,
  renamed), then the quarantine file beside it;
* a database sink upserts each chunk's rows on the record id, replaces the
  chunk's quarantine entries and journals the chunk, in one transaction.

CSV output is safe to open in a spreadsheet: a cell that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so it
is shown as text, never run as a formula.
"""

from __future__ import annotations

import csv
import json
from datetime import timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

from . import rows as R
from .checkpoint import ChunkInfo, PartStore, SqlJournal, replace_durably
from .errors import ScanError, UsageError
from .sources import FORMATS, _db_error, format_of, is_url, open_engine, safe_url

DEFAULT_OUTPUT_TABLE = "safeguard_signals"
ROW_GROUP_ROWS = 16_384

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_csv_cell(value: str) -> str:
    """``value``, prefixed with ``'`` when a spreadsheet would take it for a formula."""
    if value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def csv_cell(value: Any) -> str:
    """One value as CSV text: null empty, booleans ``true``/``false``, lists JSON, time ISO 8601 UTC."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return R.json_cell(value) or ""
    if hasattr(value, "tzinfo") and hasattr(value, "strftime"):
        return R.iso_utc(value) or ""
    return escape_csv_cell(str(value))


def _json_value(value: Any) -> Any:
    if hasattr(value, "tzinfo") and hasattr(value, "strftime"):
        return R.iso_utc(value)
    return value


class Sink:
    """Where a scan's rows go."""

    def describe(self) -> Dict[str, Any]:
        raise NotImplementedError

    def open(self, fingerprint: Dict[str, Any], *, restart: bool = False) -> Dict[int, ChunkInfo]:
        raise NotImplementedError

    def write_chunk(self, chunk: int, rows: Sequence[R.Row], digest: str, stats: Dict[str, int]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    #: Where quarantined records are listed (for the summary).
    quarantine_target: str = ""


# ---------------------------------------------------------------------------- files

def default_quarantine_path(dest: Path) -> Path:
    """``out.csv`` -> ``out.quarantine.csv`` (``out.jsonl.gz`` -> ``out.quarantine.jsonl.gz``)."""
    name = dest.name
    suffixes = "".join(dest.suffixes[-2:] if dest.suffix.lower() == ".gz" else dest.suffixes[-1:])
    stem = name[: len(name) - len(suffixes)] if suffixes else name
    return dest.with_name(f"{stem}.quarantine{suffixes}")


class FileSink(Sink):
    """CSV, JSON Lines or Parquet, assembled from durable part files when every chunk is done."""

    def __init__(self, dest: str, *, fmt: Optional[str] = None, quarantine: Optional[str] = None,
                 state_dir: Optional[str] = None):
        self.dest = Path(dest)
        self.fmt = format_of(self.dest, fmt)
        if self.dest.is_dir():
            raise UsageError(f"the destination {dest} is a folder: name a file")
        try:
            self.dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ScanError(f"cannot create the folder {self.dest.parent}: {exc.strerror}") from exc
        self.quarantine = Path(quarantine) if quarantine else default_quarantine_path(self.dest)
        self.quarantine_target = str(self.quarantine)
        try:
            self.quarantine_fmt = format_of(self.quarantine)
        except UsageError:
            self.quarantine_fmt = self.fmt
        self.quarantine.parent.mkdir(parents=True, exist_ok=True)
        self.store = PartStore(Path(state_dir) if state_dir else self.dest.with_name(self.dest.name + ".scan-state"))

    @property
    def files(self) -> List[Path]:
        """The files this sink writes (a folder source never reads them back)."""
        return [self.dest, self.quarantine]

    def describe(self) -> Dict[str, Any]:
        return {"kind": "file", "dest": str(self.dest.resolve()), "format": self.fmt,
                "quarantine": str(self.quarantine.resolve()), "quarantine_format": self.quarantine_fmt}

    def open(self, fingerprint: Dict[str, Any], *, restart: bool = False) -> Dict[int, ChunkInfo]:
        return self.store.open(fingerprint, restart=restart)

    def write_chunk(self, chunk: int, rows: Sequence[R.Row], digest: str, stats: Dict[str, int]) -> None:
        self.store.write(chunk, R.arrow_table(rows, internal=True), digest, stats)

    def _tables(self) -> Iterator[Any]:
        chunk = 0
        while self.store.part_path(chunk).exists():
            yield self.store.read(chunk)
            chunk += 1

    def finish(self) -> None:
        from .scan import failpoint

        self._assemble(self.quarantine, quarantine=True)
        failpoint("assemble")
        self._assemble(self.dest, quarantine=False)
        self.store.close(remove=True)

    def close(self) -> None:
        self.store.close()

    def _assemble(self, target: Path, *, quarantine: bool) -> None:
        tmp = target.with_name(f".{target.name}.tmp")
        names = R.QUARANTINE_COLUMNS if quarantine else R.COLUMNS
        tables = (self._quarantine_table(t) if quarantine else t.select(list(R.COLUMNS)) for t in self._tables())
        writer = {"parquet": _write_parquet, "csv": _write_csv, "jsonl": _write_jsonl}[
            self.quarantine_fmt if quarantine else self.fmt]
        writer(tmp, tables, names, R.quarantine_arrow_schema() if quarantine else R.arrow_schema())
        replace_durably(tmp, target)

    @staticmethod
    def _quarantine_table(table: Any) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        q = table.filter(pc.equal(table.column("status"), R.STATUS_QUARANTINED))
        return pa.table({
            "id": q.column("id"), "record_date": q.column("record_date"), "reason": q.column("status_reason"),
            "location": q.column("_location"), "pipeline_version": q.column("pipeline_version"),
            "model_checksum": q.column("model_checksum"), "processed_at": q.column("processed_at"),
            "snippet": q.column("_snippet"),
        }, schema=R.quarantine_arrow_schema())


def _write_parquet(path: Path, tables: Iterator[Any], names: Sequence[str], schema: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        buffer: List[Any] = []
        size = 0
        for table in tables:
            buffer.append(table)
            size += table.num_rows
            if size >= ROW_GROUP_ROWS:
                writer.write_table(pa.concat_tables(buffer), row_group_size=size)
                buffer, size = [], 0
        if buffer and size:
            writer.write_table(pa.concat_tables(buffer), row_group_size=size)


def _write_csv(path: Path, tables: Iterator[Any], names: Sequence[str], schema: Any) -> None:
    gz = path.name.endswith(".gz.tmp")
    with (_gz_text(path) if gz else open(path, "w", encoding="utf-8", newline="")) as f:
        writer = csv.writer(f)  # CRLF rows: a cell holding a CR or LF is always quoted
        writer.writerow(names)
        for table in tables:
            cols = [table.column(n).to_pylist() for n in names]
            writer.writerows([csv_cell(v) for v in row] for row in zip(*cols))


def _write_jsonl(path: Path, tables: Iterator[Any], names: Sequence[str], schema: Any) -> None:
    gz = path.name.endswith(".gz.tmp")
    with (_gz_text(path) if gz else open(path, "w", encoding="utf-8", newline="")) as f:
        for table in tables:
            cols = [table.column(n).to_pylist() for n in names]
            for row in zip(*cols):
                f.write(json.dumps({n: _json_value(v) for n, v in zip(names, row)}, ensure_ascii=False))
                f.write("\n")


def _gz_text(path: Path):
    import gzip

    return gzip.open(path, "wt", encoding="utf-8", newline="")


# ---------------------------------------------------------------------------- databases

def _sql_types():
    import sqlalchemy as sa

    text_id = sa.String(255).with_variant(sa.Text(), "postgresql", "sqlite")
    return {
        "id": text_id,
        "string": sa.Text(),
        "json": sa.Text(),
        "bool": sa.Boolean(create_constraint=False),
        "list<string>": sa.Text(),
        "list<int>": sa.Text(),
        "timestamp": sa.DateTime(timezone=True),
    }


def output_table(name: str, metadata: Any) -> Any:
    """The SQLAlchemy table of the output columns (id the primary key)."""
    import sqlalchemy as sa

    types = _sql_types()
    cols = [sa.Column("id", types["id"], primary_key=True)]
    cols += [sa.Column(n, types[t]) for n, t in R.COLUMN_TYPES.items() if n != "id"]
    return sa.Table(name, metadata, *cols)


def quarantine_table(name: str, metadata: Any) -> Any:
    import sqlalchemy as sa

    types = _sql_types()
    cols = [sa.Column("id", types["id"], primary_key=True)]
    cols += [sa.Column(n, types["timestamp"] if n == "processed_at" else sa.Text()) for n in R.QUARANTINE_COLUMNS[1:]]
    return sa.Table(name, metadata, *cols)


class SqlSink(Sink):
    """A table of any SQLAlchemy database, written by upsert on ``id`` (SQLite and PostgreSQL natively)."""

    DELETE_SLICE = 500

    def __init__(self, url: str, *, table: str = DEFAULT_OUTPUT_TABLE, quarantine: Optional[str] = None):
        import sqlalchemy as sa

        self.url = url
        schema, _, name = table.rpartition(".")
        self.schema = schema or None
        self.table_name = name
        self.qualified = table
        q_schema, _, q_name = (quarantine or f"{table}_quarantine").rpartition(".")
        self.quarantine_target = quarantine or f"{table}_quarantine"
        self.engine = open_engine(url)
        self.dialect = self.engine.dialect.name
        self.table = output_table(name, sa.MetaData(schema=self.schema))
        self.qtable = quarantine_table(q_name, sa.MetaData(schema=(q_schema or self.schema) or None))
        self.journal = SqlJournal(self.schema)
        self._native_upsert = False

    def describe(self) -> Dict[str, Any]:
        return {"kind": "sql", "url": safe_url(self.url), "table": self.qualified, "quarantine": self.quarantine_target}

    def open(self, fingerprint: Dict[str, Any], *, restart: bool = False) -> Dict[int, ChunkInfo]:
        import sqlalchemy as sa

        try:
            for table in (self.table, self.qtable):
                self._prepare_table(table)
            self.journal.create(self.engine)
            return self.journal.begin(self.engine, self.qualified, fingerprint, restart=restart)
        except sa.exc.SQLAlchemyError as exc:
            raise ScanError(f"cannot prepare the destination: {_db_error(exc)}") from exc

    def _prepare_table(self, table: Any) -> None:
        import sqlalchemy as sa

        inspector = sa.inspect(self.engine)
        if not inspector.has_table(table.name, schema=table.schema):
            table.metadata.create_all(self.engine, tables=[table], checkfirst=True)
            if table is self.table:
                self._native_upsert = self.dialect in ("sqlite", "postgresql")
            return
        have = {c["name"] for c in inspector.get_columns(table.name, schema=table.schema)}
        missing = [c.name for c in table.columns if c.name not in have]
        if missing:
            raise UsageError(f"table {table.name} exists without column(s) {', '.join(missing)}: "
                             "name another output table, or drop it")
        if table is self.table:
            pk = inspector.get_pk_constraint(table.name, schema=table.schema).get("constrained_columns") or []
            uniques = [u.get("column_names") for u in inspector.get_unique_constraints(table.name, schema=table.schema)]
            keyed = pk == ["id"] or ["id"] in uniques
            self._native_upsert = keyed and self.dialect in ("sqlite", "postgresql")

    def _sql_row(self, row: R.Row) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for n, value in zip(R.COLUMNS, row):
            kind = R.COLUMN_TYPES[n]
            if kind.startswith("list<"):
                value = R.json_cell(value)
            elif kind == "timestamp" and value is not None and self.dialect == "sqlite":
                value = value.astimezone(timezone.utc).replace(tzinfo=None)
            out[n] = value
        return out

    def write_chunk(self, chunk: int, rows: Sequence[R.Row], digest: str, stats: Dict[str, int]) -> None:
        import sqlalchemy as sa

        from .scan import failpoint

        by_id = {row[R.ID]: row for row in rows}  # one statement may not touch an id twice: the last wins
        main = [self._sql_row(row) for row in by_id.values()]
        quarantined = []
        for row in by_id.values():
            if row[R.STATUS] == R.STATUS_QUARANTINED:
                q = dict(zip(R.QUARANTINE_COLUMNS, R.quarantine_entry(row)))
                if self.dialect == "sqlite" and q["processed_at"] is not None:
                    q["processed_at"] = self._sql_row(row)["processed_at"]
                quarantined.append(q)
        ids = list(by_id)
        try:
            with self.engine.begin() as conn:
                if main:
                    self._upsert(conn, main, ids)
                for start in range(0, len(ids), self.DELETE_SLICE):
                    conn.execute(sa.delete(self.qtable).where(self.qtable.c.id.in_(ids[start : start + self.DELETE_SLICE])))
                if quarantined:
                    conn.execute(sa.insert(self.qtable), quarantined)
                self.journal.record(conn, self.qualified, chunk, digest, stats)
                failpoint("db-commit")
        except sa.exc.SQLAlchemyError as exc:
            raise ScanError(f"writing chunk {chunk} to the destination failed: {_db_error(exc)}") from exc

    def _upsert(self, conn: Any, values: List[Dict[str, Any]], ids: List[str]) -> None:
        import sqlalchemy as sa

        if self._native_upsert:
            if self.dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            stmt = insert(self.table)
            stmt = stmt.on_conflict_do_update(index_elements=[self.table.c.id],
                                              set_={c.name: stmt.excluded[c.name] for c in self.table.columns if c.name != "id"})
            conn.execute(stmt, values)
            return
        for start in range(0, len(ids), self.DELETE_SLICE):
            conn.execute(sa.delete(self.table).where(self.table.c.id.in_(ids[start : start + self.DELETE_SLICE])))
        conn.execute(sa.insert(self.table), values)

    def finish(self) -> None:
        import sqlalchemy as sa

        try:
            self.journal.finish(self.engine, self.qualified)
        except sa.exc.SQLAlchemyError as exc:
            raise ScanError(f"closing the scan journal failed: {_db_error(exc)}") from exc

    def close(self) -> None:
        self.engine.dispose()


def open_sink(dest: str, *, fmt: Optional[str] = None, table: Optional[str] = None, quarantine: Optional[str] = None,
              state_dir: Optional[str] = None) -> Sink:
    """The destination named by ``dest``: a database URL (with ``table``) or a file."""
    if is_url(dest):
        if fmt:
            raise UsageError("--output-format is for files, not a database URL")
        if state_dir:
            raise UsageError("--state-dir is for file destinations (a database keeps its journal in tables)")
        return SqlSink(dest, table=table or DEFAULT_OUTPUT_TABLE, quarantine=quarantine)
    if table:
        raise UsageError("--output-table needs a database URL as the destination")
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown output format {fmt!r}: use one of {', '.join(FORMATS)}")
    return FileSink(dest, fmt=fmt, quarantine=quarantine, state_dir=state_dir)
