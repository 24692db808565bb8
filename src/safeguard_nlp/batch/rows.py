"""One record's result as one flat row: the column schema of every scan output.

``safeguard-nlp scan`` (every destination) and :func:`safeguard_nlp.annotate_frame`
share these columns, in this order:

==================  ==============  ===================================================
column              type            meaning
==================  ==============  ===================================================
``id``              text            the record id, as text
``record_date``     text            the record's date as the source gave it (or null)
``status``          text            ``ok``, ``empty`` (no narrative) or ``quarantined``
``status_reason``   text            why a record was quarantined (null otherwise)
signal fields       bool / list     every field of SIGNALS.md, in its order; null
                                    when quarantined
``flags``           list of text    the true boolean signals, then ``risk:<category>``
                                    for each risk factor
``evidence``        JSON text       the spans behind the signals (see below)
``pipeline_version`` text           version of the pipeline that produced the row
``model_checksum``  text            sha256 of the saved pipeline's files
``processed_at``    timestamp       when the record's chunk was processed (UTC)
==================  ==============  ===================================================

Lists are native lists in Parquet, JSON Lines and pandas, and JSON arrays in
text form in CSV and SQL tables.

The evidence column is a JSON object keyed by signal field, each holding a
list of items ``{"label", "category", "rule", "start", "end", "accepted",
"reason", "context": {"negated", "hypothetical", "historical", "subject"},
"cues": [{"type", "rule", "start", "end"}]}`` (ages add ``"value"``). Offsets
are character offsets into the narrative. No narrative text is in a row unless
snippets are asked for: then each item adds ``"text"`` (the span) and
``"snippet"`` (the span with up to 40 characters either side), and each cue
its ``"text"``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..schema import BOOL_SIGNALS, RISK_FACTORS, SIGNAL_FIELDS

STATUS_OK = "ok"
STATUS_EMPTY = "empty"
STATUS_QUARANTINED = "quarantined"
STATUSES = (STATUS_OK, STATUS_EMPTY, STATUS_QUARANTINED)

#: How much evidence a row carries: the spans behind raised signals, every span weighed, or none.
EVIDENCE_MODES = ("accepted", "all", "none")

SNIPPET_MARGIN = 40
QUARANTINE_SNIPPET_CHARS = 200

#: Logical type of each output column, in output order.
COLUMN_TYPES: Dict[str, str] = {
    "id": "string",
    "record_date": "string",
    "status": "string",
    "status_reason": "string",
    **{f: ("list<string>" if f == "risk_factors" else "list<int>" if f == "child_ages" else "bool") for f in SIGNAL_FIELDS},
    "flags": "list<string>",
    "evidence": "json",
    "pipeline_version": "string",
    "model_checksum": "string",
    "processed_at": "timestamp",
}

#: The output columns, in order: the same for every destination and for ``annotate_frame``.
COLUMNS: Tuple[str, ...] = tuple(COLUMN_TYPES)

#: Columns kept beside the output columns while a scan runs (never in the main output).
INTERNAL_COLUMNS: Tuple[str, ...] = ("_location", "_snippet")

#: Columns of the quarantine file or table.
QUARANTINE_COLUMNS: Tuple[str, ...] = (
    "id", "record_date", "reason", "location", "pipeline_version", "model_checksum", "processed_at", "snippet",
)

#: Every flag name that can appear in ``flags`` (and in a scan's per-flag counts).
FLAG_NAMES: Tuple[str, ...] = tuple(f for f in SIGNAL_FIELDS if f in BOOL_SIGNALS) + tuple(f"risk:{c}" for c in RISK_FACTORS)

_IDX = {name: n for n, name in enumerate(COLUMNS + INTERNAL_COLUMNS)}
ID, STATUS, STATUS_REASON, FLAGS, PROCESSED_AT = (_IDX[k] for k in ("id", "status", "status_reason", "flags", "processed_at"))
LOCATION, SNIPPET = _IDX["_location"], _IDX["_snippet"]

Row = Tuple[Any, ...]


def now_utc() -> datetime:
    """A processing time stamp: UTC, to the microsecond."""
    return datetime.now(timezone.utc)


def flags_of(signals: Dict[str, Any]) -> List[str]:
    """The raised flags: true boolean signals in SIGNALS.md order, then ``risk:<category>``."""
    out = [f for f in SIGNAL_FIELDS if f in BOOL_SIGNALS and signals.get(f)]
    out.extend(f"risk:{c}" for c in signals.get("risk_factors") or ())
    return out


def _item(item: Dict[str, Any], text: Optional[str], snippets: bool) -> Dict[str, Any]:
    out: Dict[str, Any] = {"label": item.get("label"), "category": item.get("category"), "rule": item.get("rule")}
    start, end = item.get("start"), item.get("end")
    if start is not None:
        out["start"], out["end"] = start, end
    if "value" in item:
        out["value"] = item["value"]
    out["accepted"] = item.get("accepted")
    out["reason"] = item.get("reason")
    if "subject" in item:
        out["context"] = {k: item.get(k) for k in ("negated", "hypothetical", "historical", "subject")}
    cues = item.get("cues")
    if cues:
        out["cues"] = [
            {"type": c.get("type"), "rule": c.get("rule"), "start": c.get("start"), "end": c.get("end"),
             **({"text": c.get("text")} if snippets else {})}
            for c in cues
        ]
    if snippets and text is not None and start is not None:
        out["text"] = text[start:end]
        out["snippet"] = text[max(0, start - SNIPPET_MARGIN) : end + SNIPPET_MARGIN]
    return out


def evidence_json(evidence: Dict[str, List[Dict[str, Any]]], *, mode: str = "accepted",
                  text: Optional[str] = None, snippets: bool = False) -> Optional[str]:
    """The evidence column: JSON keyed by signal field (fields with no items left out)."""
    if mode == "none":
        return None
    out: Dict[str, List[Dict[str, Any]]] = {}
    for field in SIGNAL_FIELDS:
        items = evidence.get(field) or ()
        kept = [_item(i, text, snippets) for i in items if mode == "all" or i.get("accepted")]
        if kept:
            out[field] = kept
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


class RowContext:
    """What every row of one run shares: pipeline identity and output options."""

    __slots__ = ("pipeline_version", "model_checksum", "evidence", "snippets")

    def __init__(self, pipeline_version: Optional[str], model_checksum: Optional[str], *,
                 evidence: str = "accepted", snippets: bool = False):
        if evidence not in EVIDENCE_MODES:
            raise ValueError(f"evidence must be one of {', '.join(EVIDENCE_MODES)}, not {evidence!r}")
        self.pipeline_version = pipeline_version
        self.model_checksum = model_checksum
        self.evidence = evidence
        self.snippets = snippets

    @classmethod
    def for_nlp(cls, nlp: Any, **kwargs: Any) -> "RowContext":
        from .. import __version__

        meta = getattr(nlp, "meta", {}) or {}
        return cls(meta.get("version") or __version__, meta.get("safeguard_checksum"), **kwargs)


def result_row(record_id: str, record_date: Optional[str], result: Dict[str, Any], ctx: RowContext,
               stamp: datetime, *, text: Optional[str] = None, location: Optional[str] = None) -> Row:
    """A processed record (``ok`` or ``empty``) as a row."""
    signals = result["signals"]
    return (
        record_id,
        record_date,
        result.get("status", STATUS_OK),
        None,
        *(list(signals[f]) if f in ("risk_factors", "child_ages") else bool(signals[f]) for f in SIGNAL_FIELDS),
        flags_of(signals),
        evidence_json(result["evidence"], mode=ctx.evidence, text=text, snippets=ctx.snippets),
        ctx.pipeline_version,
        ctx.model_checksum,
        stamp,
        location,
        None,
    )


def quarantine_row(record_id: str, record_date: Optional[str], reason: str, ctx: RowContext, stamp: datetime, *,
                   text: Optional[str] = None, location: Optional[str] = None) -> Row:
    """A record that could not be processed: null signals, the reason, and a snippet only when asked for."""
    snippet = text[:QUARANTINE_SNIPPET_CHARS] if (ctx.snippets and isinstance(text, str)) else None
    return (
        record_id,
        record_date,
        STATUS_QUARANTINED,
        reason,
        *(None for _ in SIGNAL_FIELDS),
        None,
        None,
        ctx.pipeline_version,
        ctx.model_checksum,
        stamp,
        location,
        snippet,
    )


def quarantine_entry(row: Row) -> Tuple[Any, ...]:
    """The quarantine-file row for a quarantined output row (``QUARANTINE_COLUMNS`` order)."""
    return (row[ID], row[_IDX["record_date"]], row[STATUS_REASON], row[LOCATION], row[_IDX["pipeline_version"]],
            row[_IDX["model_checksum"]], row[PROCESSED_AT], row[SNIPPET])


def count_row(row: Row, counts: Dict[str, int]) -> None:
    """Add one row to a run's counts: records, each status and each raised flag."""
    counts["records"] = counts.get("records", 0) + 1
    counts[row[STATUS]] = counts.get(row[STATUS], 0) + 1
    for flag in row[FLAGS] or ():
        counts[flag] = counts.get(flag, 0) + 1


def columns_of(rows: Sequence[Row], names: Sequence[str] = COLUMNS + INTERNAL_COLUMNS) -> Dict[str, List[Any]]:
    """Rows to a dict of column lists."""
    if not rows:
        return {n: [] for n in names}
    cols = list(zip(*rows))
    return {n: list(cols[_IDX[n]]) for n in names}


# ---------------------------------------------------------------- Arrow / pandas types

def arrow_type(logical: str):
    import pyarrow as pa

    return {
        "string": pa.string(),
        "json": pa.string(),
        "bool": pa.bool_(),
        "list<string>": pa.list_(pa.string()),
        "list<int>": pa.list_(pa.int64()),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }[logical]


def arrow_schema(internal: bool = False):
    """The Arrow schema of the output (with the internal columns when ``internal``)."""
    import pyarrow as pa

    fields = [pa.field(n, arrow_type(t)) for n, t in COLUMN_TYPES.items()]
    if internal:
        fields += [pa.field(n, pa.string()) for n in INTERNAL_COLUMNS]
    return pa.schema(fields)


def quarantine_arrow_schema():
    import pyarrow as pa

    return pa.schema([pa.field(n, arrow_type("timestamp") if n == "processed_at" else pa.string())
                      for n in QUARANTINE_COLUMNS])


def arrow_table(rows: Sequence[Row], internal: bool = False):
    """Rows as an Arrow table with the output schema."""
    import pyarrow as pa

    schema = arrow_schema(internal)
    data = columns_of(rows, schema.names)
    return pa.table({n: pa.array(data[n], type=schema.field(n).type) for n in schema.names}, schema=schema)


#: Spark SQL DDL of the output, for ``DataFrame.mapInPandas(..., schema=SPARK_SCHEMA)``.
SPARK_SCHEMA = ", ".join(
    f"{n} " + {"string": "string", "json": "string", "bool": "boolean", "list<string>": "array<string>",
               "list<int>": "array<bigint>", "timestamp": "timestamp"}[t]
    for n, t in COLUMN_TYPES.items()
)


def json_cell(value: Any) -> Optional[str]:
    """A list column's value as JSON text (for CSV and SQL); null stays null."""
    if value is None:
        return None
    return json.dumps(list(value), ensure_ascii=False, separators=(",", ":"))


def iso_utc(value: Optional[datetime]) -> Optional[str]:
    """A time stamp as ISO 8601 UTC text with a Z, to the microsecond."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
