"""The anchored matcher skips records its patterns cannot match, and finds what a Matcher finds on the rest."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from spacy.matcher import Matcher

import safeguard_nlp
from safeguard_nlp import resources
from safeguard_nlp.components.anchored import AnchoredMatcher, required_words

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from throughput import NarrativeGenerator  # noqa: E402


def test_required_words_reads_words_not_shapes_or_optional_tokens():
    pattern = [{"LOWER": "before"}, {"IS_ALPHA": True, "OP": "?"}, {"ORTH": "Left"},
               {"LOWER": {"IN": ["home", "School"]}, "OP": "+"}, {"LIKE_NUM": True}, {"LOWER": "x", "OP": "*"}]
    assert required_words(pattern) == [frozenset({"before"}), frozenset({"left"}), frozenset({"home", "school"})]


def _bundled_token_patterns():
    entries = resources.read_jsonl("entities.jsonl") + resources.read_jsonl("context.jsonl")
    out = [(e["id"], [e["pattern"]]) for e in entries if "pattern" in e]
    out += [(e["id"], e["patterns"]) for e in entries if "patterns" in e]
    assert out, "the bundled lexicons hold token patterns"
    return out


@pytest.fixture(scope="module")
def nlp():
    return safeguard_nlp.build()


def test_same_matches_as_a_matcher_on_generated_and_hand_written_texts(nlp):
    plain, anchored = Matcher(nlp.vocab), AnchoredMatcher(nlp.vocab)
    for key, patterns in _bundled_token_patterns():
        plain.add(key, patterns)
        anchored.add(key, patterns)
    texts = list(NarrativeGenerator(5, namespace="anchored").texts(400)) + [
        "Located by police 0200 safe and well.", "NOT MISSING. Ellie-May home.", "before he left he hit her",
        "Police attended 14 Ashdown Cl.", "Missing People charity called.", "", "FOUND SAFE BY PATROL",
    ]
    skipped = 0
    for text in texts:
        doc = nlp.make_doc(text)
        skipped += not anchored.could_match(doc)
        assert anchored(doc) == plain(doc), text
    assert 0 < skipped < len(texts)


def test_a_pattern_needing_no_word_is_always_run(nlp):
    anchored = AnchoredMatcher(nlp.vocab)
    anchored.add("number", [[{"LIKE_NUM": True}]])
    doc = nlp.make_doc("seen at 1400")
    assert anchored.could_match(doc) and len(anchored(doc)) == 1


def test_windows_cover_each_anchor_and_merge_when_they_overlap():
    from safeguard_nlp.components.anchored import _windows, pattern_length

    assert _windows([5], 3, 100) == [(3, 8)]
    assert _windows([1, 4, 20], 3, 22) == [(0, 7), (18, 22)]
    # ("!" takes a token too: any but the one it names.)
    assert pattern_length([{"LOWER": "a"}, {"IS_ALPHA": True, "OP": "?"}, {"LOWER": "b", "OP": "!"}]) == 3
    assert pattern_length([{"LOWER": "a"}, {"IS_ALPHA": True, "OP": "*"}]) is None


def test_a_negated_token_is_counted_in_the_reach(nlp):
    pattern = [{"LOWER": "before"}, {"LOWER": "he", "OP": "!"}, {"IS_ALPHA": True}, {"IS_ALPHA": True}, {"LOWER": "left"}]
    plain, anchored = Matcher(nlp.vocab), AnchoredMatcher(nlp.vocab)
    plain.add("k", [pattern])
    anchored.add("k", [pattern])
    doc = nlp.make_doc("x y z before she had quietly left the house")
    assert anchored(doc) == plain(doc) and len(plain(doc)) == 1
