"""The pandas API: a DataFrame of narratives in, a DataFrame of signals out.

:func:`annotate_frame` gives the same columns as ``safeguard-nlp scan``
(:data:`safeguard_nlp.batch.rows.COLUMNS`), one row per input row, with the
input's index, so it drops into the partition-wise APIs of other engines::

    import dask.dataframe as dd
    out = ddf.map_partitions(annotate_frame, text_col="text", id_col="id", meta=frame_meta())

    from safeguard_nlp.frame import SPARK_SCHEMA
    out = sdf.mapInPandas(lambda frames: (annotate_frame(f, "text", "id") for f in frames), schema=SPARK_SCHEMA)

The pipeline is loaded once per process (:func:`safeguard_nlp.api.default_nlp`),
never per partition. Column types: text columns are pandas ``string``, the
boolean signals ``boolean`` (null when a record is quarantined), the list
columns hold Python lists, and ``processed_at`` is ``datetime64[us, UTC]``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .batch import rows as R
from .batch.process import DEFAULT_MAX_CHARS, make_record, process_records

SPARK_SCHEMA = R.SPARK_SCHEMA

#: Rows processed at a time, so that a large frame's evidence is never held all at once.
FRAME_CHUNK = 1000


def _dtypes() -> Dict[str, Any]:
    return {
        n: {"string": "string", "json": "string", "bool": "boolean", "list<string>": object, "list<int>": object,
            "timestamp": "datetime64[us, UTC]"}[t]
        for n, t in R.COLUMN_TYPES.items()
    }


def frame_meta():
    """An empty frame with the output's columns and dtypes (``meta=`` for dask)."""
    import pandas as pd

    return pd.DataFrame({n: pd.Series([], dtype=d) for n, d in _dtypes().items()})


def rows_frame(rows: List[R.Row], index: Any = None):
    """Rows (see :mod:`safeguard_nlp.batch.rows`) as a DataFrame of the output columns."""
    import pandas as pd

    data = R.columns_of(rows, R.COLUMNS)
    if index is None:
        index = pd.RangeIndex(len(rows))
    columns = {}
    for name, dtype in _dtypes().items():
        values = data[name]
        if dtype is object:
            series = pd.Series([None if v is None else list(v) for v in values], index=index, dtype=object)
        elif name == "processed_at":
            series = pd.Series(pd.to_datetime(values, utc=True), index=index).astype(dtype)
        else:
            series = pd.Series(values, index=index, dtype=dtype)
        columns[name] = series
    return pd.DataFrame(columns, index=index)


def annotate_frame(df, text_col: str = "text", id_col: Optional[str] = None, *, date_col: Optional[str] = None,
                   nlp: Any = None, evidence: str = "accepted", with_snippets: bool = False,
                   max_chars: int = DEFAULT_MAX_CHARS, batch_size: int = 256):
    """Signals, flags and evidence for each row of ``df``, as a DataFrame with the scan's columns.

    ``id_col`` names the id column; without it the index gives the ids. Ids
    are written as text. Missing or blank text gives status ``empty``; bytes
    that are not UTF-8, text longer than ``max_chars``, or a record whose
    processing raises give status ``quarantined`` with ``status_reason``,
    and the frame goes on. No narrative text is in the result unless
    ``with_snippets``.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"annotate_frame needs a pandas DataFrame, not {type(df).__name__}")
    for what, col in (("text", text_col), ("id", id_col), ("date", date_col)):
        if col is not None and col not in df.columns:
            raise KeyError(f"the frame has no {what} column {col!r} (columns: {', '.join(map(str, df.columns))})")
    if len(df) == 0:
        meta = frame_meta()
        meta.index = df.index[:0]
        return meta
    if nlp is None:
        from .api import default_nlp

        nlp = default_nlp()
    ctx = R.RowContext.for_nlp(nlp, evidence=evidence, snippets=with_snippets)
    texts = df[text_col].tolist()
    ids = df[id_col].tolist() if id_col is not None else list(df.index)
    dates = df[date_col].tolist() if date_col is not None else [None] * len(df)
    rows: List[R.Row] = []
    for start in range(0, len(df), FRAME_CHUNK):
        stop = start + FRAME_CHUNK
        records = [
            make_record(start + k, i, t, d, None, max_chars=max_chars, snippets=with_snippets)
            for k, (i, t, d) in enumerate(zip(ids[start:stop], texts[start:stop], dates[start:stop]))
        ]
        rows.extend(process_records(nlp, records, ctx, batch_size=batch_size))
    return rows_frame(rows, index=df.index)


__all__ = ["annotate_frame", "frame_meta", "rows_frame", "SPARK_SCHEMA"]
