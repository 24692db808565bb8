"""WarmPipeline: a scan's pipeline without memory zones, reloaded when its vocabulary outgrows a budget."""

from __future__ import annotations

import pytest

from safeguard_nlp.batch import WarmPipeline
from safeguard_nlp.batch.process import make_record, process_records
from safeguard_nlp.batch.rows import PROCESSED_AT, RowContext

from scan_support import records


def rows_of(pipeline, recs):
    nlp = pipeline.nlp if isinstance(pipeline, WarmPipeline) else pipeline
    ctx = RowContext.for_nlp(nlp)
    checked = [make_record(i, r["id"], r["text"], r["date"], None) for i, r in enumerate(recs)]
    return process_records(pipeline, checked, ctx)


def plain(rows):
    """Rows without processed_at (the time differs between runs; nothing else may)."""
    return [tuple(v for i, v in enumerate(row) if i != PROCESSED_AT) for row in rows]


def test_reloads_when_the_budget_is_spent_and_gives_the_same_rows():
    import safeguard_nlp

    recs = records(300, seed=5)
    zoned = plain(rows_of(safeguard_nlp.load(), recs))
    warm = WarmPipeline(None, max_new_strings=200)
    first = warm.nlp
    got = []
    for start in range(0, len(recs), 50):
        got += plain(rows_of(warm, recs[start : start + 50]))
    assert warm.reloads >= 1, "a 200-string budget is spent within 300 records"
    assert warm.nlp is not first
    assert got == zoned


def test_stays_loaded_within_budget():
    recs = records(40, seed=6)
    warm = WarmPipeline(None)
    first = warm.nlp
    rows_of(warm, recs)
    assert warm.reloads == 0 and warm.nlp is first


def test_budget_must_be_positive():
    with pytest.raises(ValueError, match="max_new_strings"):
        WarmPipeline(None, max_new_strings=0)


def test_annotate_through_a_warm_pipeline_reloads_and_gives_the_same_results(monkeypatch):
    import safeguard_nlp
    from safeguard_nlp import api

    monkeypatch.setattr(api, "WARM_CHUNK", 40)
    texts = [r["text"] for r in records(200, seed=7)] + [None, ""]
    zoned = list(safeguard_nlp.annotate(texts, safeguard_nlp.load()))
    warm = safeguard_nlp.WarmPipeline(None, max_new_strings=200)
    got = list(safeguard_nlp.annotate(iter(texts), warm))
    assert warm.reloads >= 1
    assert got == zoned
