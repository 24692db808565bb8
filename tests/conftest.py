"""Shared fixtures.

Tests never print narrative text: assertion messages name record ids, fields
and signal values, never the words of a record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

import safeguard_nlp

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"
MODEL_DIR = ROOT / "models" / "safeguard_pipeline"


def pytest_configure(config):
    # Long tracebacks print the arguments of every frame, and a Doc or Span
    # prints as its text: keep failure reports free of narrative text.
    if config.option.tbstyle == "auto":
        config.option.tbstyle = "short"


class Record(dict):
    """A corpus record that prints as its id, never its text."""

    def __repr__(self) -> str:
        return f"<record {self.get('id')}>"


class Records(list):
    def __repr__(self) -> str:
        return f"<{len(self)} records>"


def read_corpus(path: Path) -> Records:
    with open(path, encoding="utf-8") as fh:
        return Records(Record(json.loads(line)) for line in fh if line.strip())


@pytest.fixture(scope="session")
def nlp():
    """The saved pipeline, loaded once for the whole session. Do not mutate it."""
    return safeguard_nlp.load()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def dev_records() -> List[Dict[str, Any]]:
    return read_corpus(CORPORA / "dev.jsonl")


@pytest.fixture(scope="session")
def dev_sample(dev_records) -> List[Dict[str, Any]]:
    """About 40 dev records, spread over the file (and so over the sources)."""
    step = max(1, len(dev_records) // 40)
    return Records(dev_records[::step][:40])


def _write_jsonl(path: Path, rows: List[Any]) -> Path:
    """Write rows as JSON Lines; a str row is written as the raw line."""
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
    return path


@pytest.fixture(scope="session")
def corpus_reader():
    """``corpus_reader(path)``: the records of a JSONL corpus, printing as ids only."""
    return read_corpus


@pytest.fixture(scope="session")
def write_jsonl():
    """``write_jsonl(path, rows)``: rows are dicts (dumped) or raw lines (str)."""
    return _write_jsonl
