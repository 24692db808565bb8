"""The age finder tries each regex only where it can match; that finds what a full scan finds."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from safeguard_nlp.components import ages

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from throughput import NarrativeGenerator  # noqa: E402


def _texts():
    texts = [json.loads(line)["text"] for line in (ROOT / "corpora" / "train.jsonl").open(encoding="utf-8")]
    texts += list(NarrativeGenerator(3, namespace="agepaths").texts(500))
    texts += ["Tia ,  7 said", "KAI, 9, DIDN'T", "son Noah, 8 months,", "Jade 14 left", "DOB 01/02/2010 on 03/04/2024"]
    return texts + [t.upper() for t in texts]


def test_narrowed_regexes_find_what_a_full_scan_finds():
    narrowed = [(rule_id, regex) for rule_id, regex, _ in ages.AGE_REGEXES if rule_id in ages._LED_BY or rule_id in ages._NEEDS]
    assert len(narrowed) == len(ages._LED_BY) + len(ages._NEEDS)
    for text in _texts():
        starts = [m.start() for m in ages.NUMBER_START.finditer(text)]
        lower = text.lower()
        for rule_id, regex in narrowed:
            full = [m.span() for m in regex.finditer(text)]
            if rule_id in ages._LED_BY:
                hits = (regex.match(text, p) for p in ages._lead_positions(text, starts, ages._LED_BY[rule_id]))
                fast = [m.span() for m in hits if m is not None]
            else:
                fast = full if any(w in lower for w in ages._NEEDS[rule_id]) else []
            assert fast == full, (rule_id, text[:80])


def test_school_years_found_where_a_full_scan_finds_them():
    extra = ["Kian y10 in today", "Kayden, Y8. limping", "Year 11 Mia", "YR 9 KAI", "yr7 boy", "Y 9 Tom", "a Year9"]
    for text in _texts() + extra:
        starts = [m.start() for m in ages.NUMBER_START.finditer(text)]
        for regex, words in ((ages.SCHOOL_YEAR_AFTER, ages._YEAR_WORDS), (ages.SCHOOL_YEAR_BARE, ages._BARE_YEAR_WORDS)):
            fast = [m.span() for m in ages._matches_at(regex, text, ages._year_positions(text, starts, words))]
            assert fast == [m.span() for m in regex.finditer(text)], text[:80]
