"""Components share the span list written for a record, and read the group afresh whenever it has changed."""

from __future__ import annotations

import spacy
from spacy.tokens import Span

from safeguard_nlp.components.spans import read_spans, write_spans


def _same(a, b):
    return [(s.start, s.end, s.label_, s.kb_id_, s.id_) for s in a] == [(s.start, s.end, s.label_, s.kb_id_, s.id_) for s in b]


def test_the_written_list_comes_back_and_a_changed_group_is_read_afresh():
    nlp = spacy.blank("en")
    doc, other = nlp("Mum said Tia (6) was asleep."), nlp("Dad left.")
    written = [Span(doc, 0, 1, label="ADULT"), Span(doc, 2, 3, label="CHILD", kb_id="named", span_id="rule")]
    write_spans(doc, "k", written)
    first = read_spans(doc, "k")
    assert _same(first, written) and first is not written
    assert _same(read_spans(doc, "k"), list(doc.spans["k"]))
    doc.spans["k"].append(Span(doc, 4, 5, label="AGE"))
    assert len(read_spans(doc, "k")) == 3
    doc.spans["k"] = [Span(doc, 0, 1, label="ADULT")]
    assert _same(read_spans(doc, "k"), list(doc.spans["k"]))
    other.spans["k"] = [Span(other, 0, 1, label="ADULT")]
    assert _same(read_spans(other, "k"), list(other.spans["k"]))
