"""Helpers for the scan and annotate_frame tests: invented records, and outputs read back in one form.

Every narrative written here carries MARK, a word found in no rule, so a test
can prove that no narrative text reached an output or a log.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence

from safeguard_nlp import demo
from safeguard_nlp.batch import rows as R

ROOT = Path(__file__).resolve().parents[1]
MARK = "Quillfeather"
DEMO_COLUMNS = ("id", "date", "source", "text")


def records(n: int, seed: int = 11, prefix: str = "T") -> List[Dict[str, str]]:
    """``n`` invented records; every non-blank narrative names MARK."""
    out = []
    for rec in demo.records(n, seed=seed, prefix=prefix):
        if rec["text"].strip():
            rec["text"] = f"{rec['text']} Logged by PC {MARK}."
        out.append(rec)
    return out


def write_csv(path: Path, recs: Iterable[Dict[str, Any]], cols: Sequence[str] = DEMO_COLUMNS) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(cols), extrasaction="ignore")
        w.writeheader()
        w.writerows(recs)
    return path


def write_jsonl(path: Path, recs: Iterable[Dict[str, Any]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for rec in recs:
            f.write(json.dumps(rec) + "\n")
    return path


def write_parquet(path: Path, recs: Sequence[Dict[str, Any]]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(list(recs)), path)
    return path


def write_sqlite(path: Path, recs: Sequence[Dict[str, Any]], table: str = "incidents") -> str:
    with sqlite3.connect(path) as conn:
        conn.execute(f"CREATE TABLE {table} (id TEXT PRIMARY KEY, date TEXT, source TEXT, text TEXT)")
        conn.executemany(f"INSERT INTO {table} VALUES (?, ?, ?, ?)",
                         [(r["id"], r.get("date"), r.get("source"), r.get("text")) for r in recs])
    return f"sqlite:///{path}"


# ------------------------------------------------------------------------ reading outputs back

_BOOL = {n for n, t in R.COLUMN_TYPES.items() if t == "bool"}
_LIST = {n for n, t in R.COLUMN_TYPES.items() if t.startswith("list<")}


def _norm(name: str, value: Any) -> Any:
    """One cell in a canonical Python form, whatever format it came from."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if name in _BOOL:
        if isinstance(value, str):
            return {"true": True, "false": False, "": None, "1": True, "0": False}[value.lower()]
        return bool(value)
    if name in _LIST:
        if isinstance(value, str):
            return None if value == "" else json.loads(value)
        return [int(v) if name == "child_ages" else v for v in list(value)]
    if isinstance(value, str) and value == "" and name in ("status_reason", "record_date", "evidence", "snippet", "location"):
        return None
    return value if isinstance(value, str) else value


def load_output(target: str, table: Optional[str] = None, keep_time: bool = False) -> List[Dict[str, Any]]:
    """The rows of a scan output (file or database table) as canonical dicts, in output order."""
    if table is not None:
        import sqlalchemy as sa

        engine = sa.create_engine(target)
        with engine.connect() as conn:
            result = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
            raw = [dict(r._mapping) for r in result]
        engine.dispose()
    else:
        path = Path(target)
        name = path.name
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq

            raw = pq.read_table(path).to_pylist()
        elif name.endswith(".jsonl"):
            raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        else:
            with open(path, encoding="utf-8", newline="") as f:
                raw = list(csv.DictReader(f))
    out = []
    for row in raw:
        out.append({k: _norm(k, v) for k, v in row.items() if keep_time or k != "processed_at"})
    return out


def by_id(rows: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {r["id"]: r for r in rows}


def summary(rows: List[Dict[str, Any]]) -> str:
    """A short description of rows for assertion messages: counts and ids, never text."""
    ids = [r.get("id") for r in rows]
    return f"{len(rows)} rows, first ids {ids[:5]}"


# ------------------------------------------------------------------------ the command line

def scan_cmd(*args: str) -> List[str]:
    return [sys.executable, "-m", "safeguard_nlp.cli", "scan", *args]


def run_scan(*args: str, env: Optional[Dict[str, str]] = None, timeout: int = 180) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(scan_cmd(*args), capture_output=True, text=True, timeout=timeout, env=full_env,
                          stdin=subprocess.DEVNULL)
