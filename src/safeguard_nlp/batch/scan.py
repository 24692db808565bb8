"""Scan a whole record system: read in chunks, process in parallel, write resumably.

The scanning process reads the source and cuts it into chunks of
``chunk_size`` records. With ``workers=1`` it processes them itself; with
more, a pool of spawned processes does, each loading the pipeline once and
returning plain rows (tuples), never Docs. Chunks are committed to the
destination strictly in order, at most ``2 * workers + 1`` of them in flight,
so memory stays flat whatever the size of the source, and the done chunks
are always a prefix that a re-run can skip (see :mod:`.checkpoint`).

Time stamps: ``processed_at`` is the time the record's chunk was processed.
A resumed run keeps the time stamps of the chunks done before the
interruption, so its output equals an uninterrupted run's in every column
but ``processed_at``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import rows as R
from .checkpoint import STATE_VERSION, add_stats, chunk_digest
from .errors import ScanError, SourceChangedError, UsageError
from .process import DEFAULT_MAX_CHARS, Record, WarmPipeline, process_records
from .sinks import DEFAULT_OUTPUT_TABLE, open_sink
from .sources import chunked, open_source, read_records

log = logging.getLogger("safeguard_nlp.scan")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_QUARANTINED = 3
EXIT_INTERRUPTED = 130

DEFAULT_CHUNK_SIZE = 1000
#: How many quarantined records are named in the log (ids and reasons only) before the rest are only counted.
LOGGED_QUARANTINE = 20
FAILPOINT_ENV = "SAFEGUARD_NLP_FAILPOINT"


def failpoint(name: str) -> None:
    """Die here as a kill -9 would, when the test environment asks (``SAFEGUARD_NLP_FAILPOINT=name``)."""
    if os.environ.get(FAILPOINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class ScanOptions:
    """Everything ``safeguard-nlp scan`` takes (see its ``--help``)."""

    source: str
    dest: str
    table: Optional[str] = None
    query: Optional[str] = None
    format: Optional[str] = None
    id_col: str = "id"
    text_col: str = "text"
    date_col: Optional[str] = None
    since: Optional[str] = None
    output_format: Optional[str] = None
    output_table: Optional[str] = None
    quarantine: Optional[str] = None
    workers: int = 1
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_chars: int = DEFAULT_MAX_CHARS
    with_snippets: bool = False
    evidence: str = "accepted"
    model: Optional[str] = None
    state_dir: Optional[str] = None
    restart: bool = False
    batch_size: int = 256
    progress: Optional[bool] = None  # None: a bar only when stderr is a terminal


@dataclass
class ScanReport:
    """What a scan did; ``exit_status`` is 0, or 3 when some records were quarantined."""

    dest: str
    quarantine: str
    counts: Dict[str, int] = field(default_factory=dict)
    processed: int = 0  # records processed by this run (not counting chunks done before a resume)
    resumed: int = 0  # records skipped because an interrupted run had done them
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return self.counts.get("records", 0)

    @property
    def quarantined(self) -> int:
        return self.counts.get(R.STATUS_QUARANTINED, 0)

    @property
    def exit_status(self) -> int:
        return EXIT_QUARANTINED if self.quarantined else EXIT_OK

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        """The one-line summary printed at the end of a scan (counts and ids only, never text)."""
        c = self.counts
        flags = " ".join(f"{f}={c.get(f, 0)}" for f in R.FLAG_NAMES)
        resumed = f" ({self.resumed} done before a resume)" if self.resumed else ""
        return (f"scan: {self.records} records{resumed}: {c.get(R.STATUS_OK, 0)} ok, {c.get(R.STATUS_EMPTY, 0)} empty, "
                f"{self.quarantined} quarantined; {self.seconds:.1f} s, {self.rate:.1f} records/s; flags: {flags}; "
                f"output: {self.dest}" + (f"; quarantine: {self.quarantine}" if self.quarantined else ""))

    def as_dict(self) -> Dict[str, Any]:
        out = asdict(self)
        out.update(records=self.records, quarantined=self.quarantined, rate=self.rate, exit_status=self.exit_status)
        return out


# --------------------------------------------------------------------------- worker processes

_worker: Dict[str, Any] = {}


def _init_worker(model: Optional[str], evidence: str, snippets: bool, batch_size: int) -> None:
    """Pool initializer: load the pipeline once for this process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scanning process's to handle
    warm = WarmPipeline(model)
    _worker["nlp"] = warm
    _worker["ctx"] = R.RowContext.for_nlp(warm.nlp, evidence=evidence, snippets=snippets)
    _worker["batch_size"] = batch_size


def _work(chunk: int, records: List[Record]) -> Tuple[int, List[R.Row]]:
    return chunk, process_records(_worker["nlp"], records, _worker["ctx"], batch_size=_worker["batch_size"])


# --------------------------------------------------------------------------- the scan

def _model_identity(model: Optional[str]) -> Tuple[str, str, Optional[str]]:
    """(model folder, pipeline version, checksum of its files), without loading it."""
    import json

    from ..pipeline import ModelNotFoundError, default_model_path, model_checksum

    try:
        path = Path(model) if model else default_model_path()
    except ModelNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    if not (path / "config.cfg").is_file():
        raise UsageError(f"{path} is not a saved pipeline (no config.cfg)")
    try:
        version = json.loads((path / "meta.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        version = None
    return str(path), version or "", model_checksum(path)


_loaded: Dict[Tuple[str, Optional[str]], Any] = {}


def _pipeline(model_path: str, checksum: Optional[str]) -> WarmPipeline:
    """The pipeline for in-process scans, loaded once per process for the same model files."""
    key = (model_path, checksum)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = WarmPipeline(model_path)
    return _loaded[key]


def _stats(rows: List[R.Row]) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for row in rows:
        R.count_row(row, counts)
    return counts


def _validate(options: ScanOptions) -> None:
    if options.workers < 1:
        raise UsageError("--workers must be 1 or more")
    if options.chunk_size < 1:
        raise UsageError("--chunk-size must be 1 or more")
    if options.max_chars < 1:
        raise UsageError("--max-chars must be 1 or more")
    if options.evidence not in R.EVIDENCE_MODES:
        raise UsageError(f"--evidence must be one of {', '.join(R.EVIDENCE_MODES)}")


def code_checksum() -> str:
    """sha256 over the package's code and rule resources: a resumed scan must run the same code."""
    import hashlib

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".jsonl", ".json") and path.is_file() and "__pycache__" not in path.parts \
                and "_models" not in path.relative_to(root).parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def fingerprint_of(options: ScanOptions, source: Any, sink: Any, version: str, checksum: Optional[str]) -> Dict[str, Any]:
    """What must be equal for a re-run to resume an interrupted one (not --workers, not --progress)."""
    return {
        "state_version": STATE_VERSION,
        "code_checksum": code_checksum(),
        "source": source.describe(),
        "since": options.since,
        "chunk_size": options.chunk_size,
        "max_chars": options.max_chars,
        "with_snippets": options.with_snippets,
        "evidence": options.evidence,
        "pipeline_version": version,
        "model_checksum": checksum,
        "dest": sink.describe(),
    }


class _Progress:
    def __init__(self, enabled: Optional[bool]):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(unit=" records", file=sys.stderr, dynamic_ncols=True, smoothing=0.05)

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _log_reason(reason: Optional[str]) -> str:
    """A quarantine reason fit for a log: no exception message (which may quote the narrative)."""
    reason = reason or ""
    if reason.startswith("processing failed: "):
        return ": ".join(reason.split(": ")[:2])
    return reason


def scan(options: ScanOptions) -> ScanReport:
    """Run a scan; raises :class:`~.errors.ScanError` (or ``UsageError``) when the job cannot go on."""
    _validate(options)
    started = time.monotonic()
    model_path, version, checksum = _model_identity(options.model)
    sink = open_sink(options.dest, fmt=options.output_format, table=options.output_table,
                     quarantine=options.quarantine, state_dir=options.state_dir)
    try:
        source = open_source(options.source, table=options.table, query=options.query, fmt=options.format,
                             id_col=options.id_col, text_col=options.text_col, date_col=options.date_col,
                             since=options.since, batch_size=max(options.chunk_size, 500),
                             exclude=getattr(sink, "files", ()))
        try:
            return _run(options, source, sink, model_path, version, checksum, started)
        finally:
            source.close()
    finally:
        sink.close()


def _run(options: ScanOptions, source: Any, sink: Any, model_path: str, version: str, checksum: Optional[str],
         started: float) -> ScanReport:
    fingerprint = fingerprint_of(options, source, sink, version, checksum)
    done = sink.open(fingerprint, restart=options.restart)
    report = ScanReport(dest=_shown(options.dest), quarantine=_shown(sink.quarantine_target))
    if done:
        log.info("resuming: %d chunk(s) already done", len(done))
    records = read_records(source, since=options.since, max_chars=options.max_chars, snippets=options.with_snippets)
    progress = _Progress(options.progress)
    logged = [0]

    def commit(chunk: int, rows: List[R.Row], digest: str) -> None:
        stats = _stats(rows)
        sink.write_chunk(chunk, rows, digest, stats)
        add_stats(report.counts, stats)
        report.processed += len(rows)
        progress.update(len(rows))
        for row in rows:
            if row[R.STATUS] == R.STATUS_QUARANTINED:
                if logged[0] < LOGGED_QUARANTINE:
                    log.warning("record %s quarantined: %s", row[R.ID], _log_reason(row[R.STATUS_REASON]))
                elif logged[0] == LOGGED_QUARANTINE:
                    log.warning("further quarantined records are counted, not logged")
                logged[0] += 1
        if chunk == 0:
            failpoint("first-chunk")

    executor: Optional[ProcessPoolExecutor] = None
    nlp = ctx = None
    if options.workers == 1:
        nlp = _pipeline(model_path, checksum)
        ctx = R.RowContext.for_nlp(nlp.nlp, evidence=options.evidence, snippets=options.with_snippets)
    else:
        executor = ProcessPoolExecutor(
            max_workers=options.workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(model_path, options.evidence, options.with_snippets, options.batch_size),
        )
    in_flight: Dict[int, Tuple[Future, str]] = {}
    limit = 2 * options.workers + 1
    next_commit = 0
    total_chunks = 0

    def commit_next() -> None:
        nonlocal next_commit
        future, digest = in_flight.pop(next_commit)
        chunk, rows = future.result()
        commit(chunk, rows, digest)
        next_commit += 1

    try:
        for n, chunk in chunked(records, options.chunk_size):
            total_chunks = n + 1
            digest = chunk_digest(chunk)
            if n in done:
                if done[n].digest != digest:
                    raise SourceChangedError(
                        f"the source has changed since the interrupted scan (chunk {n} differs): "
                        "add --restart to scan it afresh")
                add_stats(report.counts, done[n].stats)
                report.resumed += len(chunk)
                progress.update(len(chunk))
                next_commit = n + 1
                continue
            if executor is None:
                commit(n, process_records(nlp, chunk, ctx, batch_size=options.batch_size), digest)
                next_commit = n + 1
                continue
            in_flight[n] = (executor.submit(_work, n, chunk), digest)
            while len(in_flight) >= limit:
                commit_next()
        while in_flight:
            commit_next()
        if len(done) > total_chunks:
            raise SourceChangedError("the source holds fewer records than the interrupted scan had done: "
                                     "add --restart to scan it afresh")
        failpoint("before-finish")
        sink.finish()
    except BrokenProcessPool as exc:
        raise ScanError("a worker process died (out of memory, or killed); re-run the same command to resume") from exc
    finally:
        progress.close()
        if executor is not None:
            for future, _ in in_flight.values():
                future.cancel()
            executor.shutdown(wait=True, cancel_futures=True)
    report.seconds = time.monotonic() - started
    return report


def _shown(target: str) -> str:
    from .sources import is_url, safe_url

    return safe_url(target) if is_url(target) else target


def run_cli(options: ScanOptions) -> int:
    """Run a scan for the command line: the summary to stderr, and the exit status."""
    return cli_exit(lambda: scan(options), rerun="re-run the same command to resume", oserror_detail=True)


def cli_exit(run: Callable[[], ScanReport], *, rerun: str, oserror_detail: bool) -> int:
    """Run a scan, print its summary or why it failed to stderr, and give the exit status.

    ``rerun`` says what re-running does; an error's message is printed only for
    usage and scan errors (and an OSError's with ``oserror_detail``, as it names a
    file and a cause): any other message might quote a narrative, so only its type is.
    """
    try:
        report = run()
    except UsageError as exc:
        print(f"safeguard-nlp scan: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ScanError as exc:
        print(f"safeguard-nlp scan: failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"safeguard-nlp scan: interrupted; {rerun}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - e.g. a full disk or a worker's error: the job failed
        log.debug("scan failed", exc_info=True)
        detail = f"{type(exc).__name__}: {exc}"[:300] if oserror_detail and isinstance(exc, OSError) else type(exc).__name__
        print(f"safeguard-nlp scan: failed: {detail}; {rerun}", file=sys.stderr)
        return EXIT_FAILED
    print(report.summary(), file=sys.stderr)
    return report.exit_status


__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_OUTPUT_TABLE", "EXIT_FAILED", "EXIT_OK", "EXIT_QUARANTINED", "EXIT_USAGE",
           "ScanOptions", "ScanReport", "scan", "run_cli"]
