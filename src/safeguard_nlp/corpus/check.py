"""``safeguard-nlp corpus check``: a corpus file must be usable as a gold standard.

Checks each record's schema, types, categories and derived flag, that ids are
unique across files, and that no text in one split repeats a text of another
split, even with the names and numbers changed: such a leak would make test
scores measure memory, not reading.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple, Union

from ..schema import BOOL_SIGNALS, RISK_FACTORS, SOURCES, validate_labels

REQUIRED_KEYS = ("id", "source", "text", "labels")
OPTIONAL_KEYS = ("split",)
NEAR_DUPLICATE_JACCARD = 0.8

_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*|\d+")


@dataclass
class Problem:
    path: str
    line: int
    record_id: Optional[str]
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.record_id or '<no id>'}: {self.message}"


def split_of(path: Union[str, Path]) -> str:
    """``train``/``dev``/``test`` from a file name such as ``corpora/dev.jsonl``."""
    return Path(path).stem.split(".")[0]


def skeleton(text: str) -> Tuple[str, ...]:
    """The words of a text with names (Title-case words) and numbers taken out."""
    out = []
    for word in _WORD.findall(text):
        if word.isdigit() or (word[0].isupper() and word[1:].islower()):
            continue
        out.append(word.lower())
    return tuple(out)


def _shingles(words: Tuple[str, ...], n: int = 3) -> frozenset:
    return frozenset(words[i : i + n] for i in range(max(1, len(words) - n + 1)))


def check_files(paths: Iterable[Union[str, Path]]) -> List[Problem]:
    problems: List[Problem] = []
    ids: Dict[str, Tuple[str, int]] = {}
    seen: List[Tuple[str, str, int, str, Tuple[str, ...], frozenset]] = []
    for path in paths:
        path = str(path)
        split = split_of(path)
        try:
            fh = open(path, encoding="utf-8")
        except OSError as exc:
            problems.append(Problem(path, 0, None, f"cannot read file: {exc.strerror}"))
            continue
        with fh:
            try:
                lines = list(fh)
            except UnicodeDecodeError as exc:
                problems.append(Problem(path, 0, None, f"not UTF-8: {exc.reason}"))
                continue
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(path, n, None, f"not valid JSON: {exc.msg}"))
                continue
            if not isinstance(record, dict):
                problems.append(Problem(path, n, None, "a record must be a JSON object"))
                continue
            rid = record.get("id") if isinstance(record.get("id"), str) else None
            for p in _record_problems(record):
                problems.append(Problem(path, n, rid, p))
            if rid is not None:
                if rid in ids:
                    first = ids[rid]
                    problems.append(Problem(path, n, rid, f"duplicate id (first at {first[0]}:{first[1]})"))
                else:
                    ids[rid] = (path, n)
            if isinstance(record.get("text"), str):
                words = skeleton(record["text"])
                seen.append((split, path, n, rid or "", words, _shingles(words)))
    problems.extend(_cross_split_duplicates(seen))
    return problems


def _record_problems(record: dict) -> List[str]:
    out = [f"missing key {k!r}" for k in REQUIRED_KEYS if k not in record]
    extra = [k for k in record if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if extra:
        out.append(f"unknown key(s): {', '.join(extra)}")
    if "id" in record and not (isinstance(record["id"], str) and record["id"].strip()):
        out.append("id must be a non-empty string")
    if "source" in record and record["source"] not in SOURCES:
        out.append(f"source {record['source']!r} is not one of {', '.join(SOURCES)}")
    if "text" in record and not (isinstance(record["text"], str) and record["text"].strip()):
        out.append("text must be a non-empty string")
    if "labels" in record:
        out.extend(validate_labels(record["labels"]))
    return out


def _cross_split_duplicates(seen) -> List[Problem]:
    problems = []
    by_skeleton: Dict[Tuple[str, ...], Tuple[str, str, int, str]] = {}
    for split, path, n, rid, words, shingles in seen:
        twin = by_skeleton.get(words)
        if twin and twin[0] != split:
            problems.append(Problem(path, n, rid, f"same text as {twin[3]} ({twin[1]}:{twin[2]}) but for names and numbers"))
        by_skeleton.setdefault(words, (split, path, n, rid))
    for i, (split, path, n, rid, words, sh) in enumerate(seen):
        for split2, path2, n2, rid2, words2, sh2 in seen[:i]:
            if split2 == split or words == words2 or not sh or not sh2:
                continue
            small, large = (sh, sh2) if len(sh) <= len(sh2) else (sh2, sh)
            if len(small) / len(large) < NEAR_DUPLICATE_JACCARD:
                continue
            jaccard = len(sh & sh2) / len(sh | sh2)
            if jaccard >= NEAR_DUPLICATE_JACCARD:
                problems.append(Problem(path, n, rid, f"near-duplicate of {rid2} ({path2}:{n2}), {jaccard:.0%} shared word triples"))
    return problems


def label_counts(paths: Iterable[Union[str, Path]]) -> str:
    """A Markdown table of positive-label counts per split, regenerated from the files."""
    from ..evaluation import read_records

    columns: List[Tuple[str, List[dict]]] = [(split_of(p), read_records(p)) for p in paths]
    header = "| label | " + " | ".join(name for name, _ in columns) + " |"
    lines = [header, "|---|" + "---:|" * len(columns)]
    lines.append("| records | " + " | ".join(str(len(recs)) for _, recs in columns) + " |")
    for source in SOURCES:
        lines.append(f"| source: {source} | " + " | ".join(str(sum(r['source'] == source for r in recs)) for _, recs in columns) + " |")
    for name in BOOL_SIGNALS:
        lines.append(f"| {name} | " + " | ".join(str(sum(bool(r['labels'][name]) for r in recs)) for _, recs in columns) + " |")
    for cat in RISK_FACTORS:
        lines.append(f"| risk: {cat} | " + " | ".join(str(sum(cat in r['labels']['risk_factors'] for r in recs)) for _, recs in columns) + " |")
    lines.append("| with child_ages | " + " | ".join(str(sum(bool(r['labels']['child_ages']) for r in recs)) for _, recs in columns) + " |")
    return "\n".join(lines)
