"""The demo records: committed, invented, varied, reproducible, and loadable into SQLite."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import Counter

import pytest

from safeguard_nlp import cli, demo
from safeguard_nlp.schema import SOURCES

from scan_support import ROOT

DEMO = ROOT / "corpora" / "demo" / "incidents.csv"


@pytest.fixture(scope="module")
def rows():
    with open(DEMO, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_demo_file_is_committed_small_and_large_enough(rows):
    assert DEMO.stat().st_size < 2 * 1024 * 1024
    assert len(rows) >= 2000
    assert list(rows[0]) == ["id", "date", "source", "text"]
    assert len({r["id"] for r in rows}) == len(rows)


def test_demo_records_are_varied(rows):
    assert set(Counter(r["source"] for r in rows)) == set(SOURCES)
    months = {r["date"][:7] for r in rows}
    assert len(months) == 12
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows), "ids follow the dates"
    texts = [r["text"] for r in rows if r["text"].strip()]
    assert len(set(texts)) > 0.95 * len(texts)
    assert 0 < len(rows) - len(texts) < 0.02 * len(rows), "a few blank narratives, as record systems have"


def test_demo_regenerates_identically(tmp_path):
    out = tmp_path / "incidents.csv"
    assert cli.main(["demo", "generate", "-o", str(out)]) == 0
    assert out.read_bytes() == DEMO.read_bytes(), "corpora/demo/incidents.csv is not what `demo generate` writes"


def test_demo_copies_no_corpus_narrative(rows):
    corpus = set()
    for name in ("train", "dev", "test"):
        with open(ROOT / "corpora" / f"{name}.jsonl", encoding="utf-8") as f:
            corpus |= {json.loads(line)["text"].strip() for line in f if line.strip()}
    assert not any(r["text"].strip() in corpus for r in rows if r["text"].strip())


def test_demo_sqlite_copy(tmp_path, rows):
    db = tmp_path / "demo.db"
    assert cli.main(["demo", "sqlite", str(DEMO), "-o", str(db)]) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM incidents").fetchone() == (len(rows), len(rows))
        cols = [r[1] for r in conn.execute("PRAGMA table_info(incidents)")]
    assert cols == ["id", "date", "source", "text"]
    assert cli.main(["demo", "sqlite", str(DEMO), "-o", str(db)]) == 0, "rebuilding replaces the table"


def test_other_formats_and_sizes(tmp_path):
    for name in ("a.jsonl", "a.parquet"):
        assert demo.write(tmp_path / name, count=50, seed=3) == 50
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "a.parquet")
    lines = (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()
    assert table.to_pylist() == [json.loads(line) for line in lines]
