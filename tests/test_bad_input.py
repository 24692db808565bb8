"""Whatever a record system holds: missing values, bytes, HTML, texts longer than nlp.max_length."""

from __future__ import annotations


import numpy
import pandas
import pytest
import spacy
from spacy.language import Language

import safeguard_nlp
from safeguard_nlp import analyse, annotate, explain
from safeguard_nlp.components.signals import register_extensions
from safeguard_nlp.schema import SIGNAL_FIELDS, empty_signals, normalise_signals, validate_labels

# Invented narratives.
PLAIN = (
    "Jayden (9) was seen at school with a bruise on his arm. He said his dad hit him with a belt. "
    "PPN submitted to MASH."
)
HTML = (
    "<div class=\"note\"><p>Jayden (9) was seen at school with a <b>bruise</b> on his arm.</p>"
    "<p>He said his dad hit him with a&nbsp;belt.<br/>PPN submitted to <i>MASH</i>.</p></div>"
)
FILLER = "Officers attended the address and spoke to the caller about the noise. "
TAIL = "Update: Jayden (9) has a bruise on his arm. PPN submitted to MASH."
SMALL_MAX_LENGTH = 2000


def offset_errors(text, evidence):
    """Evidence items (and their cues) whose start:end does not give back their text in ``text``."""
    bad = []
    for field, items in evidence.items():
        for n, item in enumerate(items):
            if "start" in item and text[item["start"] : item["end"]] != item["text"]:
                bad.append(f"{field}[{n}]")
            for m, cue in enumerate(item.get("cues", [])):
                if text[cue["start"] : cue["end"]] != cue["text"]:
                    bad.append(f"{field}[{n}].cues[{m}]")
    return bad


def evidence_texts(evidence):
    return sorted((field, item["text"]) for field, items in evidence.items() for item in items if "text" in item)


# -- missing and blank values ---------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, float("nan"), numpy.nan, "", "   \n", "\t\r\n ", pandas.NA, pandas.NaT],
    ids=["None", "nan", "numpy-nan", "empty", "spaces-newline", "whitespace", "pandas-NA", "pandas-NaT"],
)
def test_missing_or_blank_gives_all_false(nlp, value):
    assert analyse(value, nlp) == empty_signals()
    result = explain(value, nlp)
    assert result["status"] == "empty"
    assert result["evidence"] == {field: [] for field in SIGNAL_FIELDS}


def test_missing_with_the_default_pipeline():
    assert analyse(None) == empty_signals()
    assert analyse(float("nan")) == empty_signals()


def test_results_are_independent_objects(nlp):
    first = analyse(None, nlp)
    first["risk_factors"].append("looked_after")
    assert analyse(None, nlp) == empty_signals()


# -- bytes -------------------------------------------------------------------------


def test_the_test_text_raises_signals(nlp):
    # Otherwise the comparisons below would hold trivially.
    signals = analyse(PLAIN, nlp)
    assert signals != empty_signals()
    assert signals["injury"] and signals["referral"]


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=["bytes", "bytearray", "memoryview"])
def test_utf8_bytes_equal_the_decoded_text(nlp, wrap):
    text = PLAIN.replace("Jayden", "Zoë") + " Mum’s partner – “not in” – left."
    raw = wrap(text.encode("utf-8"))
    assert explain(raw, nlp) == explain(text, nlp)


def test_invalid_utf8_does_not_raise(nlp):
    raw = PLAIN.encode("utf-8") + b" \xff\xfe\xc3 end"
    result = explain(raw, nlp)
    assert result["status"] == "ok"
    assert validate_labels(result["signals"]) == []
    decoded = raw.decode("utf-8", errors="replace")
    assert result == explain(decoded, nlp)
    assert offset_errors(decoded, result["evidence"]) == []


@pytest.mark.parametrize("value", [123, 1.5, ["text"], {"text": "x"}, object()], ids=["int", "float", "list", "dict", "object"])
def test_other_types_raise_type_error(nlp, value):
    with pytest.raises(TypeError, match=type(value).__name__):
        analyse(value, nlp)
    # The pipeline still works after the error.
    assert analyse(PLAIN, nlp)["injury"] is True


def test_stream_of_mixed_values_keeps_order(nlp):
    values = [None, PLAIN, "", PLAIN.encode("utf-8"), float("nan"), "  "]
    results = list(annotate(values, nlp))
    assert [r["status"] for r in results] == ["empty", "ok", "empty", "ok", "empty", "empty"]
    assert results[1]["signals"] == results[3]["signals"] == analyse(PLAIN, nlp)
    assert all(results[i]["signals"] == empty_signals() for i in (0, 2, 4, 5))


# -- HTML ----------------------------------------------------------------------------


def test_html_gives_the_same_signals_as_plain_text(nlp):
    assert explain(HTML, nlp)["signals"] == explain(PLAIN, nlp)["signals"]


def test_html_evidence_offsets_index_the_original_string(nlp):
    html, plain = explain(HTML, nlp), explain(PLAIN, nlp)
    assert offset_errors(HTML, html["evidence"]) == []
    assert evidence_texts(html["evidence"]) == evidence_texts(plain["evidence"])
    assert any(item["text"] == "bruise" for item in html["evidence"]["injury"])


def test_html_wrapped_dev_texts(nlp, dev_sample):
    changed, misplaced = [], []
    for record in dev_sample[:20]:
        text = record["text"]
        # Markup only: no line breaks added (a new line is a boundary the plain text lacks).
        html = "<div><p>" + text.replace(". ", ".</p><p>").replace(", ", ",&nbsp;") + "</p></div>"
        result = explain(html, nlp)
        if result["signals"] != analyse(text, nlp):
            changed.append(record["id"])
        if offset_errors(html, result["evidence"]):
            misplaced.append(record["id"])
    assert changed == []
    assert misplaced == []


def test_runs_of_spaces_and_tabs_read_as_single_spaces(nlp, dev_sample):
    # spaCy makes a token of each extra space; blanked markup is exactly such runs.
    changed, misplaced = [], []
    for record in dev_sample[:20]:
        text = record["text"]
        for spaced in (text.replace(" ", "  "), text.replace(", ", ",\t"), "   " + text + "   "):
            result = explain(spaced, nlp)
            if result["signals"] != analyse(text, nlp):
                changed.append(record["id"])
            if offset_errors(spaced, result["evidence"]):
                misplaced.append(record["id"])
    assert changed == []
    assert misplaced == []


# -- texts longer than nlp.max_length -----------------------------------------------


@pytest.fixture(scope="module")
def small_nlp():
    """A fresh pipeline (not the session one) with a small max_length."""
    nlp = safeguard_nlp.load()
    nlp.max_length = SMALL_MAX_LENGTH
    return nlp


def test_long_text_is_processed_in_pieces(small_nlp, nlp):
    body = FILLER * 40
    assert len(body) > SMALL_MAX_LENGTH
    before = analyse(body, nlp)
    assert not before["injury"] and not before["referral"]  # the filler raises neither

    text = body + TAIL
    result = explain(text, small_nlp)
    assert result["status"] == "ok"
    signals = result["signals"]
    # Raised only by the last piece.
    assert signals["injury"] and signals["referral"]
    assert 9 in signals["child_ages"]
    assert offset_errors(text, result["evidence"]) == []
    referral = [i for i in result["evidence"]["referral"] if i["accepted"]]
    assert referral and all(i["start"] >= len(body) for i in referral)
    bruise = [i for i in result["evidence"]["injury"] if i["accepted"]]
    assert [text[i["start"] : i["end"]] for i in bruise] == ["bruise"]
    # Split at sentence ends, the pieces agree with the whole.
    assert signals == analyse(text, nlp)


def test_long_text_with_the_signal_in_the_first_piece(small_nlp):
    text = TAIL + " " + FILLER * 40
    result = explain(text, small_nlp)
    assert result["signals"]["injury"] and result["signals"]["referral"]
    assert offset_errors(text, result["evidence"]) == []


def test_long_text_without_any_break(small_nlp):
    text = "x" * (SMALL_MAX_LENGTH * 2 + 500) + " " + "word " * 500 + TAIL
    result = explain(text, small_nlp)
    assert result["signals"]["referral"] is True
    assert offset_errors(text, result["evidence"]) == []


def test_long_text_lacks_child_voice_evidence_agrees_with_the_signal(small_nlp, nlp):
    text = "Children present at the address. " + FILLER * 40 + "Lily (7) said she was scared of the shouting."
    result = explain(text, small_nlp)
    derived = [i for i in result["evidence"]["lacks_child_voice"] if i.get("label") == "DERIVED"]
    assert len(derived) == 1
    assert derived[0]["accepted"] == result["signals"]["lacks_child_voice"]
    assert result["signals"]["lacks_child_voice"] == analyse(text, nlp)["lacks_child_voice"]


# A hand-made pipeline whose evidence items share their cue dicts, as the real
# signals component's items for one span do (injury and child_injury).

@Language.component("sg_test_shared_cue_evidence")
def shared_cue_evidence(doc):
    evidence = {field: [] for field in SIGNAL_FIELDS}
    raw = {}
    at = doc.text.find("bruise")
    if at >= 0:
        cue_at = doc.text.rfind("old", 0, at)
        cue = {"type": "historical", "rule": "test.cue", "text": "old", "start": cue_at, "end": cue_at + 3}
        for field in ("injury", "child_injury"):
            evidence[field].append({"label": "INJURY", "rule": "test.injury", "start": at, "end": at + 6, "text": "bruise",
                                    "accepted": True, "reason": "test", "cues": [cue]})
        raw = {"injury": True, "child_injury": True}
    doc._.signals = normalise_signals(raw)
    doc._.evidence = evidence
    return doc


def test_long_text_cue_offsets_with_shared_cues():
    register_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe("sg_test_shared_cue_evidence")
    nlp.max_length = SMALL_MAX_LENGTH
    text = FILLER * 40 + "Seen with an old bruise."
    result = explain(text, nlp)
    assert result["signals"]["injury"] and result["signals"]["child_injury"]
    assert len(result["evidence"]["injury"]) == len(result["evidence"]["child_injury"]) == 1
    assert offset_errors(text, result["evidence"]) == []
