"""Run safeguard-nlp on a Dask cluster: the same signals, rows and columns as a local scan.

Needs the ``dask`` extra (``pip install 'safeguard-nlp[dask]'``: ``dask[dataframe]``
and ``distributed``), on the client and on every worker. ``import safeguard_nlp``
never imports this module or Dask.

Two entry points:

* :func:`annotate` takes a ``dask.dataframe.DataFrame`` of narratives and gives
  a lazy ``dask.dataframe.DataFrame`` with the columns of
  :func:`safeguard_nlp.annotate_frame` (``map_partitions`` over it, the output
  ``meta`` declared, the input's index kept)::

      import dask.dataframe as dd
      from distributed import Client
      import safeguard_nlp.dask as sgd

      client = Client("tcp://scheduler:8786")
      ddf = dd.read_parquet("incidents/*.parquet", columns=["id", "text"])
      out = sgd.annotate(ddf, text_col="text", id_col="id")
      out.to_parquet("signals/", schema=sgd.parquet_schema(), write_index=False)

* :func:`scan` (``safeguard-nlp scan SOURCE -o OUT.parquet --scheduler ADDRESS``)
  reads CSV, JSON Lines or Parquet files on the workers, processes them there
  and writes a folder of Parquet parts with ``to_parquet``: the rows of a local
  ``safeguard-nlp scan`` of the same input, in the same order, with the same
  Arrow schema, the same quarantine semantics (blank narrative: status
  ``empty``; undecodable, too long, no id, malformed row: ``quarantined``, listed
  in the quarantine file) and the same ``--since`` filter. Only
  ``processed_at`` differs (it is when each partition was processed). It does
  not resume: an interrupted run is re-run from the start.

The pipeline is loaded once per worker process, on first use, and kept in a
module-level cache (:func:`_worker_nlp`): tasks carry a reference to a
module-level function and a few options, never the pipeline. Task names are a
fixed prefix (``safeguard-annotate``, ``safeguard-scan``, ``safeguard-read``)
and a hash; nothing here logs a narrative, and a record that fails is
quarantined with the exception's type only (its message may quote the text).

Reading splits files at record boundaries found by the client (not at byte
offsets: Dask's own ``read_csv(blocksize=...)`` cuts a narrative with a line
break inside quotes in two), so each partition holds about ``chunk_size``
records. A gzip file or a Parquet row group is read by one task and cut into
partitions of ``chunk_size`` records after reading. The workers must see the
source and destination paths (a shared filesystem), like any Dask file job.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from .batch import rows as R
from .batch.process import DEFAULT_MAX_CHARS

log = logging.getLogger("safeguard_nlp.dask")

ANNOTATE_TOKEN = "safeguard-annotate"
SCAN_TOKEN = "safeguard-scan"
READ_TOKEN = "safeguard-read"
STATS_TOKEN = "safeguard-stats"

# ----------------------------------------------------------------------------- the worker's pipeline

_NLP: Dict[str, Any] = {}
_LOAD_LOCK = threading.Lock()
#: Held while a partition runs: one pipeline per process, used by one thread at a time.
_RUN_LOCK = threading.Lock()
#: Per process: how many times the pipeline was loaded, and partitions processed (for tests and checks).
_COUNTERS = {"loads": 0, "partitions": 0}


def _worker_nlp(model: Optional[str] = None) -> Any:
    """The pipeline for this process, loaded on first call and cached (never shipped from the client)."""
    key = model or ""
    nlp = _NLP.get(key)
    if nlp is None:
        with _LOAD_LOCK:
            nlp = _NLP.get(key)
            if nlp is None:
                from .pipeline import load

                nlp = load(model)
                _NLP[key] = nlp
                _COUNTERS["loads"] += 1
    return nlp


def worker_counters() -> Dict[str, int]:
    """This process's pipeline loads and partitions processed (``client.run(worker_counters)``)."""
    return dict(_COUNTERS)


def worker_identity(model: Optional[str] = None) -> Tuple[str, Optional[str]]:
    """(pipeline version, model checksum) of this process's pipeline, loading it if need be."""
    ctx = R.RowContext.for_nlp(_worker_nlp(model))
    return ctx.pipeline_version, ctx.model_checksum


# ----------------------------------------------------------------------------- annotate(ddf)

def output_meta(index: Any = None):
    """An empty frame with the output columns and dtypes of :func:`safeguard_nlp.annotate_frame`.

    Text columns are pandas ``string``, the boolean signals ``boolean`` (null
    when quarantined), the list columns ``object`` (Python lists), the evidence
    ``string`` (JSON) and ``processed_at`` ``datetime64[us, UTC]``.
    """
    from .frame import frame_meta

    meta = frame_meta()
    if index is not None:
        meta.index = index[:0]
    return meta


def parquet_schema():
    """The Arrow schema of the output, for ``to_parquet(..., schema=parquet_schema())``.

    Dask cannot infer the list columns' types from the ``meta``; this is the
    schema a local scan writes.
    """
    return R.arrow_schema()


def _annotate_partition(df, text_col: str, id_col: Optional[str], date_col: Optional[str], model: Optional[str],
                        evidence: str, with_snippets: bool, max_chars: int, batch_size: int):
    from .frame import annotate_frame

    nlp = _worker_nlp(model)
    with _RUN_LOCK:
        _COUNTERS["partitions"] += 1
        return annotate_frame(df, text_col, id_col, date_col=date_col, nlp=nlp, evidence=evidence,
                              with_snippets=with_snippets, max_chars=max_chars, batch_size=batch_size)


def annotate(ddf, text_col: str = "text", id_col: Optional[str] = None, *, date_col: Optional[str] = None,
             model: Optional[str] = None, evidence: str = "accepted", with_snippets: bool = False,
             max_chars: int = DEFAULT_MAX_CHARS, batch_size: int = 256):
    """:func:`safeguard_nlp.annotate_frame` over each partition of a Dask DataFrame, lazily.

    Returns a ``dask.dataframe.DataFrame`` with the scan's columns
    (:data:`safeguard_nlp.batch.rows.COLUMNS`) and the input's index and
    partitions, one row per input row. ``model`` is a saved pipeline folder as
    the workers see it (default: the one installed with the package on each
    worker). Each worker process loads the pipeline once, on its first
    partition. No narrative text is in the output unless ``with_snippets``.
    """
    import dask.dataframe as dd

    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"annotate needs a dask DataFrame, not {type(ddf).__name__} "
                        "(use safeguard_nlp.annotate_frame for pandas)")
    for what, col in (("text", text_col), ("id", id_col), ("date", date_col)):
        if col is not None and col not in ddf.columns:
            raise KeyError(f"the frame has no {what} column {col!r} (columns: {', '.join(map(str, ddf.columns))})")
    if evidence not in R.EVIDENCE_MODES:
        raise ValueError(f"evidence must be one of {', '.join(R.EVIDENCE_MODES)}, not {evidence!r}")
    return ddf.map_partitions(
        _annotate_partition, text_col=text_col, id_col=id_col, date_col=date_col, model=model, evidence=evidence,
        with_snippets=with_snippets, max_chars=max_chars, batch_size=batch_size,
        meta=output_meta(ddf._meta.index), token=ANNOTATE_TOKEN,
    )


# ----------------------------------------------------------------------------- scan: planning the reads

RAW_COLUMNS = ("id", "text", "date", "location", "problem")


class Unit(NamedTuple):
    """A piece of a file that one task reads: a byte range of a text file, a whole (gzip) file, or a row group."""

    path: str
    name: str  # the file's name as a location prefix, relative to the source root (as the local scan names it)
    fmt: str  # csv, jsonl, parquet
    cols: Tuple[str, ...]  # the id, text (and date) columns as spelled in the file
    kind: str  # "range", "file" or "rowgroup"
    start: int  # byte offset (range), row group (rowgroup), 0 (file)
    end: int  # byte offset (range), 0 otherwise
    first_row: int  # the location number of the unit's first record (1-based, as the local scan counts)
    rows: int  # how many records (CSV rows, JSON lines, Parquet rows) the unit holds


def _gz(path: Path) -> bool:
    return path.suffix.lower() == ".gz"


def _record_ends(f, fmt: str) -> Iterator[int]:
    """Byte offsets at which the records (CSV rows, lines) of a binary stream end, the header included.

    For CSV a line ends a record when the quotes before it are balanced (a
    doubled quote inside a quoted field counts twice), so a narrative with a
    line break inside quotes stays whole. Every reader checks that it parsed
    the number of records counted here, so a file this rule misjudges (a stray
    quote in an unquoted field) fails the job instead of being misread.
    """
    offset = 0
    quoted = False
    for line in f:
        offset += len(line)
        if fmt == "csv":
            if line.count(b'"') % 2:
                quoted = not quoted
            if quoted:
                continue
        yield offset
    if fmt == "csv" and quoted:
        yield offset  # an unterminated quote: the rest is one record, as the csv module reads it


def plan_units(source: Any, chunk_size: int) -> List[Unit]:
    """The read units of a :class:`~safeguard_nlp.batch.sources.FileSource`, in the local scan's order.

    Plain CSV and JSON Lines files are cut into byte ranges of ``chunk_size``
    records by one pass over the file here (reading, not parsing); gzip files
    are counted the same way and read whole; Parquet files by row group.
    """
    from .batch.sources import _open_binary

    units: List[Unit] = []
    for path, fmt in zip(source.files, source.formats):
        cols = source._columns[path]
        if cols is None:  # an empty file
            continue
        name, cols = source._name(path), tuple(cols)
        if fmt == "parquet":
            import pyarrow.parquet as pq

            md = pq.ParquetFile(path).metadata
            row = 1
            for g in range(md.num_row_groups):
                n = md.row_group(g).num_rows
                units.append(Unit(str(path), name, fmt, cols, "rowgroup", g, 0, row, n))
                row += n
            continue
        with _open_binary(path) as f:
            ends = _record_ends(f, fmt)
            header_end = next(ends, None) if fmt == "csv" else 0
            if header_end is None:
                continue
            if _gz(path):
                rows = sum(1 for _ in ends)
                units.append(Unit(str(path), name, fmt, cols, "file", 0, 0, 1, rows))
                continue
            start, row, count = header_end, 1, 0
            for end in ends:
                count += 1
                if count == chunk_size:
                    units.append(Unit(str(path), name, fmt, cols, "range", start, end, row, count))
                    start, row, count = end, row + count, 0
            if count:
                units.append(Unit(str(path), name, fmt, cols, "range", start, end, row, count))
    return units


# ----------------------------------------------------------------------------- scan: reading on the workers

class SplitError(RuntimeError):
    """A file held a different number of records than planned (it cannot be split safely, or it changed)."""


def _csv_records(lines, unit: Unit, header: Optional[List[str]]) -> List[tuple]:
    import csv
    import sys

    from .batch.sources import _delimiter

    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(lines, delimiter=_delimiter(Path(unit.path)))
    if header is None:
        header = next(reader)
    index = [header.index(c) for c in unit.cols]
    width = max(index) + 1
    i_id, i_text = index[0], index[1]
    i_date = index[2] if len(index) > 2 else None
    out: List[tuple] = []
    n = unit.first_row - 1
    for n, row in enumerate(reader, start=unit.first_row):
        if not row:
            continue
        location = f"{unit.name}:{n}"
        if len(row) < width:
            out.append((row[i_id] if len(row) > i_id else None, None, None, location,
                        f"malformed CSV row ({len(row)} of {len(header)} fields)"))
        else:
            out.append((row[i_id], row[i_text], row[i_date] if i_date is not None else None, location, None))
    seen = n - unit.first_row + 1
    if seen != unit.rows:
        raise SplitError(f"{unit.name}: read {seen} CSV rows where {unit.rows} were counted at rows "
                         f"{unit.first_row}-{unit.first_row + unit.rows - 1} (a quote inside an unquoted field, "
                         "or the file changed); convert it to Parquet, or scan it without --scheduler")
    return out


def _jsonl_records(lines, unit: Unit) -> List[tuple]:
    from .batch.sources import jsonl_record

    c_id, c_text = unit.cols[0], unit.cols[1]
    c_date = unit.cols[2] if len(unit.cols) > 2 else None
    out: List[tuple] = []
    n = unit.first_row - 1
    for n, line in enumerate(lines, start=unit.first_row):
        line = line.strip()
        if not line:
            continue
        out.append(jsonl_record(line, f"{unit.name}:{n}", c_id, c_text, c_date))
    if n - unit.first_row + 1 != unit.rows:
        raise SplitError(f"{unit.name}: read {n - unit.first_row + 1} lines where {unit.rows} were counted "
                         "(the file changed during the scan?)")
    return out


def _parquet_records(unit: Unit) -> List[tuple]:
    import pyarrow.parquet as pq

    wanted = list(dict.fromkeys(unit.cols))
    with pq.ParquetFile(unit.path) as pf:
        table = pf.read_row_group(unit.start, columns=wanted)
    data = {c: table.column(c).to_pylist() for c in wanted}
    ids, texts = data[unit.cols[0]], data[unit.cols[1]]
    dates = data[unit.cols[2]] if len(unit.cols) > 2 else [None] * len(ids)
    if len(ids) != unit.rows:
        raise SplitError(f"{unit.name}: row group {unit.start} holds {len(ids)} rows, not {unit.rows} "
                         "(the file changed during the scan?)")
    return [(i, t, d, f"{unit.name}:{unit.first_row + k}", None) for k, (i, t, d) in enumerate(zip(ids, texts, dates))]


def read_unit(unit: Unit) -> List[tuple]:
    """The raw records ``(id, text, date, location, problem)`` of a unit, exactly as the local scan reads them."""
    import io

    from .batch.sources import _open_binary

    if unit.fmt == "parquet":
        return _parquet_records(unit)
    with _open_binary(Path(unit.path)) as f:
        if unit.kind == "file":
            if unit.fmt == "jsonl":
                return _jsonl_records(f, unit)
            text = io.TextIOWrapper(f, encoding="utf-8-sig", errors="surrogateescape", newline="")
            return _csv_records(text, unit, None)
        f.seek(unit.start)
        data = f.read(unit.end - unit.start)
    if unit.fmt == "jsonl":
        return _jsonl_records(io.BytesIO(data), unit)
    text = io.StringIO(data.decode("utf-8", "surrogateescape"), newline="")
    return _csv_records(text, unit, _csv_header(Path(unit.path)))


def _csv_header(path: Path) -> List[str]:
    import csv

    from .batch.sources import _delimiter, _open_text

    with _open_text(path) as f:
        return next(csv.reader(f, delimiter=_delimiter(path)))


def _raw_frame(records: Sequence[tuple]):
    import pandas as pd

    cols = list(zip(*records)) if records else [()] * len(RAW_COLUMNS)
    return pd.DataFrame({name: pd.Series(list(values), dtype=object) for name, values in zip(RAW_COLUMNS, cols)})


def _read_frame(unit: Unit):
    return _raw_frame(read_unit(unit))


def _slice_frame(frame, start: int, stop: int):
    return frame.iloc[start:stop].reset_index(drop=True)


def _raw_meta():
    import pandas as pd

    return pd.DataFrame({name: pd.Series([], dtype=object) for name in RAW_COLUMNS})


def raw_frame(units: Sequence[Unit], chunk_size: int):
    """A Dask DataFrame of the units' raw records, one partition per ``chunk_size`` records at most."""
    import dask
    import dask.dataframe as dd
    from dask.base import tokenize

    parts = []
    for unit in units:
        key = f"{READ_TOKEN}-{tokenize(unit)}"
        frame = dask.delayed(_read_frame, pure=True)(unit, dask_key_name=key)
        if unit.rows <= chunk_size:
            parts.append(frame)
            continue
        for start in range(0, unit.rows, chunk_size):
            parts.append(dask.delayed(_slice_frame, pure=True)(
                frame, start, start + chunk_size, dask_key_name=f"{READ_TOKEN}-slice-{tokenize(unit, start, chunk_size)}"))
    with dask.config.set({"dataframe.convert-string": False}):  # keep the raw values as they were read
        return dd.from_delayed(parts, meta=_raw_meta(), verify_meta=False, prefix=READ_TOKEN)


# ----------------------------------------------------------------------------- scan: processing on the workers

class _Records:
    """A source of one partition's raw records, for :func:`safeguard_nlp.batch.sources.read_records`."""

    filters_since = False

    def __init__(self, raw):
        self.raw = raw

    def batches(self):
        yield self.raw


def scan_meta():
    """The output of a scan partition: the output columns, then the location and snippet of each row."""
    import pandas as pd

    meta = output_meta()
    for name in R.INTERNAL_COLUMNS:
        meta[name] = pd.Series([], dtype=object)
    return meta


def _scan_partition(raw, model: Optional[str], since: Optional[str], evidence: str, with_snippets: bool,
                    max_chars: int, batch_size: int):
    import pandas as pd

    from .batch.process import process_records
    from .batch.sources import read_records
    from .frame import rows_frame

    nlp = _worker_nlp(model)
    records = list(zip(*(raw[c].tolist() for c in RAW_COLUMNS)))
    with _RUN_LOCK:
        _COUNTERS["partitions"] += 1
        ctx = R.RowContext.for_nlp(nlp, evidence=evidence, snippets=with_snippets)
        checked = list(read_records(_Records(records), since=since, max_chars=max_chars, snippets=with_snippets))
        rows = process_records(nlp, checked, ctx, batch_size=batch_size)
    out = rows_frame(rows)
    internal = R.columns_of(rows, R.INTERNAL_COLUMNS)
    for name in R.INTERNAL_COLUMNS:
        out[name] = pd.Series(internal[name], index=out.index, dtype=object)
    return out


STAT_KEYS = ("records",) + R.STATUSES + R.FLAG_NAMES


def _partition_stats(out):
    """One row: the partition's counts (records, each status, each flag) and the model checksums seen."""
    import pandas as pd

    counts: Dict[str, int] = {}
    for status, flags in zip(out["status"].tolist(), out["flags"].tolist()):
        counts["records"] = counts.get("records", 0) + 1
        counts[status] = counts.get(status, 0) + 1
        for flag in flags or ():
            counts[flag] = counts.get(flag, 0) + 1
    row = {k: pd.Series([counts.get(k, 0)], dtype="int64") for k in STAT_KEYS}
    row["checksums"] = pd.Series([" ".join(sorted(set(map(str, out["model_checksum"].dropna().tolist()))))],
                                 dtype=object)
    return pd.DataFrame(row)


def _stats_meta():
    import pandas as pd

    meta = {k: pd.Series([], dtype="int64") for k in STAT_KEYS}
    meta["checksums"] = pd.Series([], dtype=object)
    return pd.DataFrame(meta)


# ----------------------------------------------------------------------------- scan: the job

def _check_options(options: Any) -> Tuple[Path, Path]:
    from .batch.errors import UsageError
    from .batch.scan import _validate
    from .batch.sinks import default_quarantine_path
    from .batch.sources import format_of, is_url

    _validate(options)
    if is_url(options.source):
        raise UsageError("--scheduler reads files (CSV, JSON Lines or Parquet): export the table to Parquet first, "
                         "or scan the database without --scheduler")
    if is_url(options.dest):
        raise UsageError("--scheduler writes Parquet files: give -o OUT.parquet")
    dest = Path(options.dest)
    if format_of(dest, options.output_format) != "parquet":
        raise UsageError("--scheduler writes Parquet only: give -o OUT.parquet")
    if options.workers != 1:
        raise UsageError("--workers is for local scans; with --scheduler the cluster's workers do the work")
    if options.restart or options.state_dir:
        raise UsageError("--restart and --state-dir are for local scans: a --scheduler scan does not resume "
                         "(re-run it from the start)")
    if options.since is not None and not options.date_col:
        raise UsageError("--since needs --date-col")
    if dest.is_dir() and any(not p.name.startswith("part.") for p in dest.iterdir()):
        raise UsageError(f"the destination {dest} is a folder that holds more than a scan's Parquet parts: "
                         "name a new one")
    quarantine = Path(options.quarantine) if options.quarantine else default_quarantine_path(dest)
    return dest, quarantine


def _connect(scheduler: Any):
    from distributed import Client

    from .batch.errors import ScanError

    if not isinstance(scheduler, str):
        return scheduler, False  # a Client (or anything with .compute / .run) already connected
    try:
        return Client(scheduler, timeout="30s", set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise ScanError(f"cannot reach the Dask scheduler at {scheduler}: {type(exc).__name__}") from exc


def _remove_quietly(path: Path) -> None:
    try:
        _remove(path)
    except OSError:
        pass


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def scan(options: Any, scheduler: Any) -> Any:
    """Run a scan (:class:`~safeguard_nlp.batch.scan.ScanOptions`) on a Dask cluster; returns a ScanReport.

    ``scheduler`` is the scheduler's address (``tcp://host:8786``) or a
    connected ``distributed.Client``. The output ``options.dest`` is a folder
    of Parquet parts (``part.00000.parquet``, ... in source order) with the
    scan's Arrow schema, written under a temporary name and renamed when
    complete; the quarantine list is one Parquet file beside it
    (``OUT.quarantine.parquet``) as for a local scan.
    """
    from .batch.errors import ScanError, UsageError
    from .batch.scan import ScanReport, _model_identity, _shown
    from .batch.sinks import _write_parquet
    from .batch.sources import open_source

    started = time.monotonic()
    dest, quarantine = _check_options(options)
    _, _, checksum = _model_identity(options.model)
    tmp = dest.with_name(f".{dest.name}.dask-tmp")
    source = open_source(options.source, fmt=options.format, id_col=options.id_col, text_col=options.text_col,
                         date_col=options.date_col, since=options.since, exclude=[quarantine])
    skip = (dest.resolve(), tmp.resolve())
    source.files = [p for p in source.files if not any(q == p.resolve() or q in p.resolve().parents for q in skip)]
    if not source.files:
        raise UsageError(f"no input files in {options.source}")
    units = plan_units(source, options.chunk_size)
    client, owned = _connect(scheduler)
    try:
        identities = client.run(worker_identity, options.model)
        if not identities:
            raise ScanError("the Dask cluster has no workers")
        wrong = sorted(addr for addr, (_, ck) in identities.items() if ck != checksum)
        if wrong:
            raise ScanError(f"{len(wrong)} worker(s) load another pipeline than this client "
                            f"(model checksum {checksum[:12] if checksum else None}): {', '.join(wrong[:5])}; "
                            "install the same safeguard-nlp and model on the workers")
        log.info("dask scan: %d file(s), %d read unit(s), on %d worker(s) of %s", len(source.files), len(units),
                 len(identities), getattr(client, "scheduler", None) and client.scheduler.address)
        _remove(tmp)
        if units:
            raw = raw_frame(units, options.chunk_size)
            out = raw.map_partitions(
                _scan_partition, model=options.model, since=options.since, evidence=options.evidence,
                with_snippets=options.with_snippets, max_chars=options.max_chars, batch_size=options.batch_size,
                meta=scan_meta(), token=SCAN_TOKEN)
            write = out[list(R.COLUMNS)].to_parquet(
                str(tmp), write_index=False, schema=parquet_schema(), compression="zstd", compute=False,
                write_metadata_file=False, name_function=lambda i: f"part.{i:05d}.parquet")
            quarantined = out[out["status"] == R.STATUS_QUARANTINED]
            stats = out.map_partitions(_partition_stats, meta=_stats_meta(), token=STATS_TOKEN)
            _, qframe, sframe = client.compute([write, quarantined, stats], sync=True)
        else:  # only empty files: an empty table, as a local scan writes
            _write_parquet_dir(tmp)
            qframe, sframe = scan_meta(), _stats_meta()
    except BaseException as exc:
        _remove_quietly(tmp)  # a failed run leaves no partial output
        if isinstance(exc, SplitError):
            raise ScanError(str(exc)) from exc
        raise
    finally:
        if owned:
            client.close()
    counts = {k: int(sframe[k].sum()) for k in STAT_KEYS if int(sframe[k].sum())}
    seen = set(" ".join(sframe["checksums"].tolist()).split())
    if seen - {checksum}:
        _remove(tmp)
        raise ScanError("some partitions were processed with another pipeline (model checksum "
                        f"{', '.join(sorted(c[:12] for c in seen - {checksum}))}); no output was written")
    _write_quarantine(qframe, quarantine, _write_parquet)
    _remove(dest)
    os.replace(tmp, dest)
    report = ScanReport(dest=_shown(str(dest)), quarantine=_shown(str(quarantine)), counts=counts,
                        processed=counts.get("records", 0))
    report.seconds = time.monotonic() - started
    return report


def _write_parquet_dir(folder: Path) -> None:
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(R.arrow_schema().empty_table(), folder / "part.00000.parquet", compression="zstd")


def _write_quarantine(qframe: Any, target: Path, writer: Any) -> None:
    import pyarrow as pa

    from .batch.checkpoint import replace_durably

    schema = R.quarantine_arrow_schema()
    names = {"status_reason": "reason", "_location": "location", "_snippet": "snippet"}
    q = qframe.rename(columns=names)[list(R.QUARANTINE_COLUMNS)].reset_index(drop=True)
    table = pa.Table.from_pandas(q, schema=schema, preserve_index=False).replace_schema_metadata(None)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    writer(tmp, iter([table]), R.QUARANTINE_COLUMNS, schema)
    replace_durably(tmp, target)


def run_cli(options: Any, scheduler: str) -> int:
    """``safeguard-nlp scan ... --scheduler ADDRESS``: the summary to stderr, and the exit status."""
    import sys

    from .batch.scan import EXIT_USAGE, cli_exit

    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        print("safeguard-nlp scan: --scheduler needs Dask: pip install 'safeguard-nlp[dask]'", file=sys.stderr)
        return EXIT_USAGE
    return cli_exit(lambda: scan(options, scheduler), oserror_detail=False,
                    rerun="re-run the same command (a --scheduler scan does not resume: it starts again from the beginning)")


__all__ = ["annotate", "output_meta", "parquet_schema", "plan_units", "read_unit", "run_cli", "scan", "worker_counters", "worker_identity"]
