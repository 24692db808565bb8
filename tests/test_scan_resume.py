"""Kill a real scan with SIGKILL at several points, re-run the same command, get the uninterrupted output.

Each scan runs as its own process group (the scanning process and its
workers), killed whole with SIGKILL as a crash or an OOM kill would. The
final output must equal an uninterrupted run's in every column but
``processed_at``: no record duplicated, none missing, same order.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Callable, List

import pytest

from safeguard_nlp.batch import ScanOptions, scan

from scan_support import load_output, records, run_scan, scan_cmd, summary, write_csv, write_sqlite

N = 2000
CHUNK = 50
CHUNKS = N // CHUNK


@pytest.fixture(scope="module")
def recs():
    return records(N, seed=23)


def start(*args: str, env=None) -> subprocess.Popen:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.Popen(scan_cmd(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True, env=full_env, text=True)


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float = 120) -> bool:
    """SIGKILL the scan's whole process group once ``ready()``; False if the scan ended first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            return False
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stderr.close()
    return True


def parts(state: Path) -> int:
    return len(list(state.glob("part-*.parquet"))) if state.exists() else 0


def journal_chunks(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM safeguard_scan_chunks").fetchone()[0]
    except sqlite3.Error:
        return 0


def after(seconds: float) -> Callable[[], bool]:
    t0 = time.monotonic()
    return lambda: time.monotonic() - t0 >= seconds


def assert_same_output(got: List[dict], want: List[dict], ids: List[str]) -> None:
    got_ids = [r["id"] for r in got]
    assert len(got_ids) == len(set(got_ids)), f"duplicated records: {summary(got)}"
    assert sorted(got_ids) == sorted(ids), f"missing or extra records: {summary(got)}"
    assert got == want, "resumed output differs from an uninterrupted run"


def test_file_scan_killed_at_several_points_resumes_to_the_same_output(tmp_path, recs):
    src = write_csv(tmp_path / "in.csv", recs)
    args = ["--chunk-size", str(CHUNK), "--date-col", "date", "--workers", "2"]
    ref = tmp_path / "ref.parquet"
    proc = run_scan(str(src), "-o", str(ref), *args)
    assert proc.returncode in (0, 3), proc.stderr[-2000:]

    dest = tmp_path / "out.parquet"
    state = tmp_path / "out.parquet.scan-state"
    cmd = [str(src), "-o", str(dest), *args]
    points = [("0.5 s in", after(0.5)),
              ("first chunk durable", lambda: parts(state) >= 1),
              ("mid-way", lambda: parts(state) >= CHUNKS // 2),
              ("three quarters", lambda: parts(state) >= CHUNKS * 3 // 4)]
    seen = []
    for name, ready in points:
        killed = kill_when(start(*cmd), ready)
        assert killed, f"the scan finished before the kill point '{name}'"
        assert not dest.exists(), f"destination written before every chunk was done ({name})"
        seen.append(parts(state))
    assert seen[1] >= 1 and seen[2] >= CHUNKS // 2, seen
    final = run_scan(*cmd)
    assert final.returncode == proc.returncode, final.stderr[-2000:]
    assert "resuming" in final.stderr
    assert f"({seen[-1] * CHUNK} done before a resume)" in final.stderr
    assert not state.exists()
    assert_same_output(load_output(str(dest)), load_output(str(ref)), [r["id"] for r in recs])


def test_kill_while_assembling_the_destination(tmp_path, recs):
    src = write_csv(tmp_path / "in.csv", recs[:300])
    dest = tmp_path / "out.csv"
    args = [str(src), "-o", str(dest), "--chunk-size", "40"]
    for point in ("before-finish", "assemble"):
        proc = run_scan(*args, env={"SAFEGUARD_NLP_FAILPOINT": point})
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        assert not dest.exists()
    assert (tmp_path / "out.quarantine.csv").exists(), "the kill came after the quarantine file was assembled"
    ok = run_scan(*args)
    assert ok.returncode == 0, ok.stderr[-2000:]
    ref = tmp_path / "ref.csv"
    assert scan(ScanOptions(source=str(src), dest=str(ref), chunk_size=40, progress=False)).exit_status == 0
    assert_same_output(load_output(str(dest)), load_output(str(ref)), [r["id"] for r in recs[:300]])
    assert not list(tmp_path.glob(".*.tmp")), "temporary files left behind"


def test_sqlite_scan_killed_at_several_points_resumes_to_the_same_output(tmp_path, recs):
    url = write_sqlite(tmp_path / "records.db", recs)
    db = tmp_path / "records.db"
    args = ["--table", "incidents", "--date-col", "date", "--chunk-size", str(CHUNK)]
    ref = run_scan(url, *args, "-o", url, "--output-table", "reference")
    assert ref.returncode in (0, 3), ref.stderr[-2000:]
    cmd = [url, *args, "-o", url, "--output-table", "signals"]
    points = [("0.5 s in", after(0.5)),
              ("first chunk committed", lambda: journal_chunks(db) >= 1),
              ("mid-way", lambda: journal_chunks(db) >= CHUNKS // 2)]
    for name, ready in points:
        assert kill_when(start(*cmd), ready), f"the scan finished before the kill point '{name}'"
    # a kill inside a chunk's transaction, after the writes and before the commit
    proc = run_scan(*cmd, env={"SAFEGUARD_NLP_FAILPOINT": "db-commit"})
    assert proc.returncode == -signal.SIGKILL
    done = journal_chunks(db)
    assert done >= CHUNKS // 2
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM signals").fetchone()[0] == done * CHUNK, \
            "rows of an uncommitted chunk are visible"
    final = run_scan(*cmd)
    assert final.returncode == ref.returncode, final.stderr[-2000:]
    assert f"({done * CHUNK} done before a resume)" in final.stderr
    assert journal_chunks(db) == 0, "journal not cleared at the end"
    assert_same_output(load_output(url, table="signals"), load_output(url, table="reference"), [r["id"] for r in recs])
