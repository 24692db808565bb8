"""Benchmark ``safeguard-nlp scan``: records/s and peak memory, beside the in-process nlp.pipe rate.

    python benchmarks/scan.py                      # 100,000 records, 1 and 2 workers
    python benchmarks/scan.py --records 20000 --json results.json

Invented records (``safeguard_nlp.demo``, seeded) are written to a CSV and
copied to SQLite; then, each as its own process, timed from start to exit:

* the in-process rate: ``nlp.pipe`` (and ``safeguard_nlp.annotate``) over the
  same texts, with the pipeline already loaded (the ceiling a scan is held to);
* ``scan`` CSV -> Parquet and SQLite -> SQLite (a table in the same file), with
  1 and 2 workers.

Peak RSS is sampled from /proc every 0.1 s over the scan's whole process tree
(the scanning process and its workers), summed. Targets (issue "Overnight
batch scanning"): 1 worker >= 0.8x the nlp.pipe rate; 2 workers >= 1.7x 1 worker
on 2 cores; peak RSS under 1 GiB whatever the input size. This is a benchmark,
not a test: it reports, it does not fail a build.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

GIB = 1024 ** 3

BASELINE = r"""
import csv, json, sys, time
csv.field_size_limit(1 << 30)
import safeguard_nlp
from safeguard_nlp.api import annotate
nlp = safeguard_nlp.load()
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    texts = [r["text"] for r in csv.DictReader(f)][: int(sys.argv[2])]
texts_pipe = [t for t in texts if t.strip()]
t0, c0 = time.perf_counter(), time.process_time()
for doc in nlp.pipe(texts_pipe, batch_size=256):
    pass
pipe_s, pipe_cpu = time.perf_counter() - t0, time.process_time() - c0
t0, c0 = time.perf_counter(), time.process_time()
for res in annotate(texts, nlp):
    pass
annotate_s, annotate_cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"texts": len(texts), "pipe_rate": len(texts_pipe) / pipe_s, "annotate_rate": len(texts) / annotate_s,
                  "pipe_rate_cpu": len(texts_pipe) / pipe_cpu, "annotate_rate_cpu": len(texts) / annotate_cpu}))
"""


def _tree(root: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_measured(cmd: List[str], *, cwd: Optional[str] = None) -> Dict[str, float]:
    """Run ``cmd``; wall time, and peak RSS of its process tree (sum) and of its largest process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            stdin=subprocess.DEVNULL)
    peak_tree = peak_one = 0
    while proc.poll() is None:
        sizes = [_rss(p) for p in _tree(proc.pid)]
        peak_tree = max(peak_tree, sum(sizes))
        peak_one = max(peak_one, max(sizes or [0]))
        time.sleep(0.1)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    return {"seconds": wall, "cpu_seconds": cpu, "load": os.getloadavg()[0], "peak_rss_tree": peak_tree, "peak_rss_process": peak_one, "stdout": out, "stderr": err}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000, help="how many records (default: 100,000)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to run (default: 1 2)")
    ap.add_argument("--chunk-size", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--baseline-records", type=int, default=None,
                    help="measure the in-process rate on the first N texts only (default: all)")
    ap.add_argument("--only", choices=("csv", "sqlite"), default=None, help="run one of the two scans only")
    ap.add_argument("--workdir", default=None, help="keep data and outputs here (default: a temporary folder)")
    ap.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = ap.parse_args(argv)

    from safeguard_nlp import demo

    tmp = tempfile.TemporaryDirectory(prefix="safeguard-bench-") if args.workdir is None else None
    work = Path(args.workdir or tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    src_csv = work / f"records-{args.records}.csv"
    src_db = work / f"records-{args.records}.db"
    if not src_csv.exists():
        t0 = time.perf_counter()
        demo.write(src_csv, count=args.records, seed=args.seed)
        print(f"wrote {args.records} records to {src_csv} ({src_csv.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if not src_db.exists():
        demo.to_sqlite(src_csv, src_db)

    py = sys.executable
    results: Dict[str, object] = {"records": args.records, "chunk_size": args.chunk_size, "cpus": os.cpu_count()}
    base_n = args.baseline_records or args.records
    print(f"in-process baseline on {base_n} texts ...", file=sys.stderr)
    base = run_measured([py, "-c", BASELINE, str(src_csv), str(base_n)])
    results["baseline"] = json.loads(base["stdout"].strip().splitlines()[-1])
    print(f"  nlp.pipe {results['baseline']['pipe_rate']:,.0f} records/s "
          f"({results['baseline']['pipe_rate_cpu']:,.0f} per CPU-s)", file=sys.stderr)
    results["baseline"]["peak_rss_process"] = base["peak_rss_process"]

    runs = []
    kinds = [k for k in ("csv", "sqlite") if args.only in (None, k)]
    for kind in kinds:
        for workers in args.workers:
            if kind == "csv":
                dest = work / f"out-{workers}.parquet"
                cmd = [py, "-m", "safeguard_nlp.cli", "scan", str(src_csv), "-o", str(dest)]
            else:
                url = f"sqlite:///{src_db}"
                cmd = [py, "-m", "safeguard_nlp.cli", "scan", url, "--table", "incidents", "-o", url,
                       "--output-table", f"signals_{workers}"]
            cmd += ["--workers", str(workers), "--chunk-size", str(args.chunk_size), "--no-progress", "-q", "--restart"]
            print(f"scan {kind} with {workers} worker(s) ...", file=sys.stderr)
            m = run_measured(cmd)
            runs.append({"source": kind, "workers": workers, "seconds": round(m["seconds"], 2),
                         "records_per_s": args.records / m["seconds"], "cpu_seconds": round(m["cpu_seconds"], 2),
                         "records_per_cpu_s": args.records / m["cpu_seconds"], "load_avg_1m": m["load"], "peak_rss_tree": m["peak_rss_tree"],
                         "peak_rss_process": m["peak_rss_process"],
                         "summary": m["stderr"].strip().splitlines()[-1] if m["stderr"].strip() else ""})
            r = runs[-1]
            print(f"  {r['seconds']:.1f} s, {r['records_per_s']:,.0f} records/s, {r['records_per_cpu_s']:,.0f} per CPU-s, "
                  f"peak RSS {r['peak_rss_tree'] / 2**20:,.0f} MiB (tree), load {r['load_avg_1m']:.1f}", file=sys.stderr)
    results["runs"] = runs

    pipe = results["baseline"]["pipe_rate"]
    pipe_cpu = results["baseline"]["pipe_rate_cpu"]
    results["baseline"]["load_avg_1m"] = base["load"]
    print()
    print(f"{args.records:,} records, chunk size {args.chunk_size}, {os.cpu_count()} CPUs")
    print(f"in-process nlp.pipe: {pipe:,.0f} records/s ({pipe_cpu:,.0f} per CPU-s); annotate(): "
          f"{results['baseline']['annotate_rate']:,.0f} records/s ({results['baseline']['annotate_rate_cpu']:,.0f} per CPU-s); "
          f"peak RSS {base['peak_rss_process'] / 2**20:,.0f} MiB; load {base['load']:.1f}")
    print(f"{'scan':<20}{'workers':>8}{'seconds':>9}{'records/s':>11}{'x pipe':>8}{'rec/CPU-s':>11}{'x pipe':>8}"
          f"{'peak RSS (tree)':>17}{'largest proc':>14}{'load':>6}")
    for r in runs:
        print(f"{r['source'] + (' -> parquet' if r['source'] == 'csv' else ' -> sqlite'):<20}{r['workers']:>8}"
              f"{r['seconds']:>9.1f}{r['records_per_s']:>11,.0f}{r['records_per_s'] / pipe:>8.2f}"
              f"{r['records_per_cpu_s']:>11,.0f}{r['records_per_cpu_s'] / pipe_cpu:>8.2f}"
              f"{r['peak_rss_tree'] / 2**20:>13,.0f} MiB{r['peak_rss_process'] / 2**20:>10,.0f} MiB{r['load_avg_1m']:>6.1f}")
    print("(load: the machine's 1-minute load average at the end of the run; above the CPU count, other work shared the cores)")
    checks = []
    for kind in kinds:
        one = next((r for r in runs if r["source"] == kind and r["workers"] == 1), None)
        two = next((r for r in runs if r["source"] == kind and r["workers"] == 2), None)
        if one:
            checks.append((f"{kind}: 1 worker >= 0.8x nlp.pipe", one["records_per_s"] / pipe, 0.8))
            checks.append((f"{kind}: 1 worker >= 0.8x nlp.pipe, per CPU-second", one["records_per_cpu_s"] / pipe_cpu, 0.8))
        if one and two:
            checks.append((f"{kind}: 2 workers >= 1.7x 1 worker", two["records_per_s"] / one["records_per_s"], 1.7))
    for r in runs:
        checks.append((f"{r['source']} {r['workers']}w: peak RSS < 1 GiB (GiB)", r["peak_rss_tree"] / GIB, None))
    print()
    for name, value, target in checks:
        ok = value >= target if target is not None else value < 1.0
        print(f"  {'meets' if ok else 'MISSES':<7}{name}: {value:.2f}")
    results["checks"] = [{"check": n, "value": v, "met": (v >= t if t is not None else v < 1.0)} for n, v, t in checks]
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
