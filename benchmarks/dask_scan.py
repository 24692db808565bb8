"""Benchmark ``safeguard-nlp scan --scheduler``: records/s on a Dask LocalCluster of 1 and 2 workers, beside a local scan.

    python benchmarks/dask_scan.py                       # 10,000 records
    python benchmarks/dask_scan.py --records 20000 --json results.json

Invented records (``safeguard_nlp.demo``, seeded) are written to a CSV. Then:

* ``local``: ``safeguard-nlp scan CSV -o OUT.parquet`` (``--workers 1`` and
  ``--workers 2``), each its own process, timed from start to exit (pipeline
  load included, as an overnight job pays it);
* ``dask N``: a ``distributed.LocalCluster`` of N worker processes (one thread
  each) on loopback; the pipeline is loaded in every worker first (a standing
  cluster keeps it loaded), then :func:`safeguard_nlp.dask.scan` is timed from
  the call to the renamed output (planning, reading, processing, writing).
  Cluster start-up and the pipeline load are reported apart.

Records per CPU-second (CPU time of the scan's processes: for Dask, the
workers' plus this process's, which runs the scheduler) is printed beside
records/s, as it holds when other jobs share the cores. Each Dask output is
checked against the local output (every column but ``processed_at``). A benchmark, not a test: it reports, it does not fail a build.
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu() -> float:
    return time.process_time()


def _local(csv_path: Path, out: Path, workers: int, chunk_size: int) -> dict:
    t0, c0 = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-m", "safeguard_nlp.cli", "scan", str(csv_path), "-o", str(out), "--date-col", "date",
                    "--workers", str(workers), "--chunk-size", str(chunk_size), "--no-progress", "-q"], check=True,
                   stdin=subprocess.DEVNULL)
    return {"workers": workers, "seconds": time.perf_counter() - t0, "cpu_s": _children_cpu() - c0}


def _dask(csv_path: Path, out: Path, workers: int, chunk_size: int) -> dict:
    from distributed import Client, LocalCluster

    from safeguard_nlp import dask as sgd
    from safeguard_nlp.batch.scan import ScanOptions

    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        client.run(sgd.worker_identity)
        loaded = time.perf_counter() - t1
        before, c0 = client.run(_cpu), time.process_time()
        t2 = time.perf_counter()
        report = sgd.scan(ScanOptions(source=str(csv_path), dest=str(out), date_col="date", chunk_size=chunk_size),
                          client)
        seconds = time.perf_counter() - t2
        after = client.run(_cpu)
        cpu = sum(after[w] - before[w] for w in after) + time.process_time() - c0
    return {"workers": workers, "records": report.records, "seconds": seconds, "rate": report.records / seconds,
            "cpu_s": cpu, "records_per_cpu_s": report.records / cpu, "cluster_start_s": started,
            "pipeline_load_s": loaded}


def _same(dask_out: Path, local_out: Path) -> bool:
    import pyarrow.parquet as pq

    def rows(paths):
        out = []
        for path in paths:
            out.extend(pq.read_table(path).drop_columns(["processed_at"]).to_pylist())
        return out

    return rows([local_out]) == rows(sorted(dask_out.glob("part.*.parquet")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--chunk-size", type=int, default=500, help="records per chunk / partition (default: 500)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args()

    from safeguard_nlp import demo

    results = {"records": args.records, "chunk_size": args.chunk_size, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="safeguard-dask-bench-") as tmp:
        tmp = Path(tmp)
        src = tmp / "incidents.csv"
        demo.write(str(src), count=args.records, seed=args.seed)
        for workers in (1, 2):
            res = _local(src, tmp / f"local{workers}.parquet", workers, args.chunk_size)
            res.update(rate=args.records / res["seconds"], records_per_cpu_s=args.records / res["cpu_s"])
            results[f"local_{workers}"] = res
            print(f"local scan, {workers} worker(s): {res['seconds']:.1f} s, {res['rate']:.0f} records/s "
                  f"(pipeline load included); {res['records_per_cpu_s']:.0f} records per CPU-second", flush=True)
        for workers in (1, 2):
            out = tmp / f"dask{workers}.parquet"
            res = _dask(src, out, workers, args.chunk_size)
            res["same_as_local"] = _same(out, tmp / "local1.parquet")
            results[f"dask_{workers}"] = res
            print(f"dask LocalCluster, {workers} worker(s): {res['seconds']:.1f} s, {res['rate']:.0f} records/s "
                  f"(cluster start {res['cluster_start_s']:.1f} s and pipeline load {res['pipeline_load_s']:.1f} s "
                  f"not included); {res['records_per_cpu_s']:.0f} records per CPU-second (workers, scheduler "
                  f"and client); same rows as the local scan: {res['same_as_local']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
