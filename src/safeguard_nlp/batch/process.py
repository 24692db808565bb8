"""Records to rows: the checks and the processing that scan workers and ``annotate_frame`` share.

A record is checked before the pipeline sees it: text that is not valid
UTF-8, that is not text at all, or that is longer than ``max_chars`` is
quarantined with a reason. The rest go through :func:`safeguard_nlp.annotate`
a chunk at a time; if that raises, the chunk is redone one record at a time
so that only the records that raise are quarantined and the batch goes on.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Union

from .rows import Row, RowContext, now_utc, quarantine_row, result_row

DEFAULT_MAX_CHARS = 1_000_000
REASON_NOT_UTF8 = "not valid UTF-8"
REASON_NO_ID = "no record id"


class Record(NamedTuple):
    """One source record, checked: ``problem`` is a quarantine reason, or None."""

    seq: int
    id: str
    text: Optional[str]
    date: Optional[str]
    location: Optional[str]
    problem: Optional[str]


def is_missing(value: Any) -> bool:
    """None, NaN, pandas' NA or NaT."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return type(value).__name__ in ("NAType", "NaTType")


def _printable(text: str) -> str:
    """Text that may hold lone surrogates (undecodable bytes) made safe to write."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that is no escaped byte (e.g. JSON "\ud800")
        return text.encode("utf-8", "replace").decode("utf-8")


def check_text(value: Any, max_chars: int = DEFAULT_MAX_CHARS) -> Tuple[Optional[str], Optional[str]]:
    """``(text, problem)`` for a narrative value.

    Missing values give ``(None, None)`` (an ``empty`` record). Bytes must be
    UTF-8; text read with undecodable bytes escaped (lone surrogates) is
    quarantined the same way. When there is a problem, ``text`` is what can be
    shown of the value (for ``--with-snippets``), or None.
    """
    if is_missing(value):
        return None, None
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("utf-8", "replace"), REASON_NOT_UTF8
    if not isinstance(value, str):
        return None, f"text is not a string ({type(value).__name__})"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _printable(value), REASON_NOT_UTF8
    if len(value) > max_chars:
        return value, f"longer than {max_chars} characters ({len(value)})"
    return value, None


def id_text(value: Any) -> Optional[str]:
    """A record id as text (None when missing or blank)."""
    if is_missing(value):
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("utf-8", "replace")
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if isinstance(value, str) else str(value)
    if not text.isascii():
        text = _printable(text)
    text = text.strip()
    return text or None


def date_text(value: Any) -> Optional[str]:
    """A record date as text: ISO 8601 for date and time values, as given for text."""
    if is_missing(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("utf-8", "replace")
    text = value if isinstance(value, str) else str(value)
    return _printable(text) if not text.isascii() else text


def make_record(seq: int, raw_id: Any, raw_text: Any, raw_date: Any, location: Optional[str], *,
                max_chars: int = DEFAULT_MAX_CHARS, snippets: bool = False, problem: Optional[str] = None) -> Record:
    """Check one source record. Quarantined records keep no text unless ``snippets``."""
    record_id = id_text(raw_id)
    text, text_problem = check_text(raw_text, max_chars)
    problem = problem or (None if record_id else REASON_NO_ID) or text_problem
    if record_id is None:
        record_id = f"#{location or seq}"
    if problem is not None:
        text = text[:200] if (snippets and isinstance(text, str)) else None
    return Record(seq, record_id, text, date_text(raw_date), location, problem)


#: New strings a WarmPipeline may add before it is reloaded (about 5 a record: roughly 10,000 records). A reload
#: costs about a second; a smaller budget keeps the plateau lower (benchmarks/throughput.py --stream-modes warm:
#: 50,000 holds about 240 MB over a million records, 250,000 about 400 MB).
DEFAULT_STRING_BUDGET = 50_000


class WarmPipeline:
    """The pipeline, run without memory zones, reloaded from disk when its vocabulary outgrows a budget.

    Inside ``nlp.memory_zone()`` spaCy's tokenizer caches nothing and every new
    lexeme is dropped when the zone closes, so each chunk of a scan would start
    cold, and a zone does not keep memory flat either: the words it drops stay as
    tombstones in spaCy's lexeme table (a preshed map cleared only by doubling).
    Out of a zone the caches stay warm but grow with every new word; a reload
    once ``max_new_strings`` strings have been added holds memory level after
    the first reload, for one load every ten thousand records or so. Outputs do
    not depend on it: the pipeline keeps no state between records.
    """

    def __init__(self, path: Any, max_new_strings: int = DEFAULT_STRING_BUDGET):
        if max_new_strings < 1:
            raise ValueError(f"max_new_strings must be at least 1, got {max_new_strings}")
        self.path = path
        self.max_new_strings = max_new_strings
        self.reloads = 0
        self.nlp: Any = None
        self._load()

    def _load(self) -> None:
        import gc

        from ..pipeline import load

        self.nlp = None
        gc.collect()
        _release_freed_memory()
        self.nlp = load(self.path)
        self._base = len(self.nlp.vocab.strings)

    def get(self) -> Any:
        """The pipeline to use now (reloaded first when the budget is spent)."""
        if len(self.nlp.vocab.strings) - self._base > self.max_new_strings:
            self.reloads += 1
            self._load()
        return self.nlp


def _release_freed_memory() -> None:
    """Hand the old pipeline's freed heap back to the system (glibc's malloc_trim), where there is one."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _run(nlp: Any, texts: Sequence[Optional[str]], batch_size: int) -> List[Union[dict, Exception]]:
    """Results for ``texts``; an exception in the batch is isolated to the records that raise.

    ``nlp`` is a pipeline (run in a memory zone) or a :class:`WarmPipeline` (run without one).
    """
    from ..api import annotate, explain

    zone = not isinstance(nlp, WarmPipeline)
    if not zone:
        nlp = nlp.get()
    try:
        return list(annotate(texts, nlp, batch_size=batch_size, memory_zone=zone))
    except Exception:  # noqa: BLE001 - redo one by one so one bad record cannot sink the chunk
        out: List[Union[dict, Exception]] = []
        for text in texts:
            try:
                out.append(explain(text, nlp))
            except Exception as exc:  # noqa: BLE001
                out.append(exc)
        return out


def failure_reason(exc: BaseException, snippets: bool) -> str:
    """Why processing failed. The message can quote the text, so it is kept only with snippets."""
    reason = f"processing failed: {type(exc).__name__}"
    if snippets and str(exc):
        reason += f": {str(exc)[:200]}"
    return reason


def process_records(nlp: Any, records: Iterable[Record], ctx: RowContext, *, batch_size: int = 256) -> List[Row]:
    """Rows for a chunk of checked records, in order. Never raises for a record's sake."""
    records = list(records)
    todo = [r for r in records if r.problem is None]
    results = _run(nlp, [r.text for r in todo], batch_size)
    stamp = now_utc()
    by_seq = {r.seq: res for r, res in zip(todo, results)}
    rows: List[Row] = []
    for r in records:
        if r.problem is not None:
            rows.append(quarantine_row(r.id, r.date, r.problem, ctx, stamp, text=r.text, location=r.location))
            continue
        res = by_seq[r.seq]
        if isinstance(res, Exception):
            rows.append(quarantine_row(r.id, r.date, failure_reason(res, ctx.snippets), ctx, stamp,
                                       text=r.text, location=r.location))
            continue
        try:
            rows.append(result_row(r.id, r.date, res, ctx, stamp, text=r.text, location=r.location))
        except Exception as exc:  # noqa: BLE001 - an unexpected result shape quarantines the record only
            rows.append(quarantine_row(r.id, r.date, failure_reason(exc, ctx.snippets), ctx, stamp,
                                       text=r.text, location=r.location))
    return rows
