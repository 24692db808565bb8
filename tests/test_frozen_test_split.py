"""The test split is frozen: any edit to corpora/test.jsonl must fail CI."""

from __future__ import annotations

import hashlib


def test_test_split_matches_its_recorded_sha256(root):
    corpus = root / "corpora" / "test.jsonl"
    recorded_line = (root / "corpora" / "test.jsonl.sha256").read_text(encoding="utf-8").split()
    # sha256sum format: "<64 hex digits>  test.jsonl"
    assert len(recorded_line) == 2 and recorded_line[1].lstrip("*") == "test.jsonl", "malformed test.jsonl.sha256"
    recorded = recorded_line[0].lower()
    assert len(recorded) == 64 and all(c in "0123456789abcdef" for c in recorded)
    actual = hashlib.sha256(corpus.read_bytes()).hexdigest()
    assert actual == recorded, "corpora/test.jsonl has changed: the test split is frozen"
