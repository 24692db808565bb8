"""Dask: ``safeguard_nlp.dask.annotate`` and ``safeguard-nlp scan --scheduler`` on a real cluster.

One ``distributed.LocalCluster`` of 2 worker processes on loopback serves the
whole module. Every distributed result is compared, row for row, with the
local result of the same input; ``processed_at`` (the time a chunk or
partition was processed) is the only column left out of the comparison.
"""

from __future__ import annotations

import csv
import gzip
import io
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow.dataset as pads  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import safeguard_nlp  # noqa: E402
from safeguard_nlp import dask as sgd  # noqa: E402
from safeguard_nlp.batch import rows as R  # noqa: E402
from safeguard_nlp.cli import main  # noqa: E402

from scan_support import MARK, load_output, records, summary, write_csv  # noqa: E402

WORKERS = 2


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as lc, Client(lc) as client:
        client.run(sgd.worker_identity)  # load the pipeline in each worker before the timed tests
        yield lc, client


@pytest.fixture(scope="module")
def recs():
    return records(160, seed=5, prefix="K")


def _edge_csv(path: Path, recs) -> Path:
    """A CSV as record systems export them: BOM, CRLF, multi-line quoted narratives, and bad rows."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf)  # CRLF line ends
    w.writerow(["id", "date", "source", "text"])
    for n, r in enumerate(recs):
        text = r["text"]
        if n % 7 == 3 and text:
            text = text.replace(". ", '.\n"Quoted" line, ', 1)  # a line break and doubled quotes inside quotes
        w.writerow([r["id"], r["date"], r["source"], text])
        if n == 40:
            w.writerow(["K-blank", "2024-03-01T10:00:00", "police", ""])
            w.writerow(["K-space", "2024-03-01T10:00:00", "police", "   "])
            w.writerow(["", "2024-03-01T10:00:00", "police", f"No id here, PC {MARK}."])
            w.writerow(["K-long", "2024-03-01T10:00:00", "police", f"PC {MARK} " + "x" * 3000])
            w.writerow(["K-short", "2024-03-01T10:00:00"])  # a malformed row
        if n == 100:
            buf.write("\r\n")  # a blank line
    data = b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")
    data += b'K-bytes,2024-03-02T10:00:00,police,"Bad \xff byte PC ' + MARK.encode() + b'"\r\n'
    path.write_bytes(data)
    return path


def _same(dask_out: Path, local_out: Path) -> None:
    left, right = load_output(str(local_out)), _load_dir(dask_out)
    assert [r["id"] for r in left] == [r["id"] for r in right], summary(right)
    for a, b in zip(left, right):
        for col in R.COLUMNS:
            if col != "processed_at":
                assert a[col] == b[col], f"record {a['id']}: column {col} differs"
    schema = pads.dataset(str(dask_out), format="parquet").schema.remove_metadata()
    assert schema == pq.read_schema(local_out).remove_metadata()


def _load_dir(folder: Path):
    parts = sorted(folder.glob("part.*.parquet"))
    assert parts, f"no Parquet parts in {folder}"
    rows = []
    for part in parts:
        tmp = load_output(str(part))
        rows.extend(tmp)
    return rows


def _scan(*args: str) -> int:
    return main(["scan", *args, "--no-progress", "-q"])


# --------------------------------------------------------------------------- import cost

def test_import_safeguard_nlp_does_not_import_dask():
    code = "import sys, safeguard_nlp; sys.exit(1 if {'dask', 'distributed'} & set(sys.modules) else 0)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


# --------------------------------------------------------------------------- annotate(ddf)

def test_annotate_equals_annotate_frame(cluster, recs, nlp):
    _, client = cluster
    df = pd.DataFrame(recs).set_index(pd.RangeIndex(1000, 1000 + len(recs)))
    ddf = dd.from_pandas(df, npartitions=5)
    lazy = sgd.annotate(ddf, text_col="text", id_col="id", date_col="date")
    assert list(lazy.columns) == list(R.COLUMNS)
    assert lazy._meta.dtypes.to_dict() == safeguard_nlp.frame.frame_meta().dtypes.to_dict()
    out = client.compute(lazy, sync=True)
    local = safeguard_nlp.annotate_frame(df, "text", "id", date_col="date", nlp=nlp)
    assert out.index.tolist() == df.index.tolist()
    assert out.dtypes.to_dict() == local.dtypes.to_dict()
    pd.testing.assert_frame_equal(out.drop(columns="processed_at"), local.drop(columns="processed_at"))
    assert (out["status"] == "empty").sum() == (df["text"].str.strip() == "").sum() > 0


def test_meta_is_declared_and_the_client_never_loads_the_pipeline(cluster, recs, tmp_path):
    _, client = cluster
    before = sgd.worker_counters()
    ddf = dd.from_pandas(pd.DataFrame(recs[:30]), npartitions=3)
    lazy = sgd.annotate(ddf, "text", "id")
    client.compute(lazy.to_parquet(tmp_path / "out", schema=sgd.parquet_schema(), write_index=False, compute=False),
                   sync=True)
    assert sgd.worker_counters() == before  # the client neither loaded the pipeline nor ran a partition
    assert pads.dataset(str(tmp_path / "out")).schema.remove_metadata() == R.arrow_schema()
    assert len(pd.read_parquet(tmp_path / "out")) == 30


def test_pipeline_loaded_once_per_worker_process(cluster, recs):
    _, client = cluster
    ddf = dd.from_pandas(pd.DataFrame(recs), npartitions=8)
    client.compute(sgd.annotate(ddf, "text", "id"), sync=True)
    counters = client.run(sgd.worker_counters)
    assert len(counters) == WORKERS
    assert all(c["loads"] == 1 for c in counters.values()), counters
    assert sum(c["partitions"] for c in counters.values()) >= 8
    assert all(c["partitions"] >= 2 for c in counters.values()), counters  # both workers did work


def test_tasks_carry_a_function_reference_and_names_without_text(recs):
    ddf = dd.from_pandas(pd.DataFrame(recs[:20]), npartitions=2)
    lazy = sgd.annotate(ddf, "text", "id")
    names = {k[0] if isinstance(k, tuple) else k for k in dict(lazy.__dask_graph__())}
    assert any(n.startswith(sgd.ANNOTATE_TOKEN + "-") for n in names), names
    assert not any(MARK in str(n) for n in names)
    assert len(pickle.dumps(sgd._annotate_partition)) < 200  # by reference: no pipeline inside


def test_annotate_rejects_what_it_cannot_use(recs):
    with pytest.raises(TypeError):
        sgd.annotate(pd.DataFrame(recs[:2]), "text", "id")
    with pytest.raises(KeyError):
        sgd.annotate(dd.from_pandas(pd.DataFrame(recs[:2]), npartitions=1), "narrative", "id")


# --------------------------------------------------------------------------- scan --scheduler

def test_cli_scan_on_the_cluster_equals_a_local_scan(cluster, recs, tmp_path, caplog):
    lc, client = cluster
    src = _edge_csv(tmp_path / "incidents.csv", recs)
    args = [str(src), "--date-col", "date", "--max-chars", "2000"]
    assert _scan(*args, "-o", str(tmp_path / "local.parquet")) == 3  # some records are quarantined
    code = _scan(*args, "-o", str(tmp_path / "dask.parquet"), "--scheduler", lc.scheduler_address,
                 "--chunk-size", "30")
    assert code == 3
    _same(tmp_path / "dask.parquet", tmp_path / "local.parquet")
    rows = {r["id"]: r for r in _load_dir(tmp_path / "dask.parquet")}
    assert rows["K-blank"]["status"] == rows["K-space"]["status"] == "empty"
    for rid in ("K-long", "K-short", "K-bytes"):
        assert rows[rid]["status"] == "quarantined", rid
    # the quarantine list is the local scan's, locations included
    ql, qd = (load_output(str(tmp_path / f"{n}.quarantine.parquet")) for n in ("local", "dask"))
    assert ql == qd and len(ql) == 4
    # no narrative text in the output, the task names or any log
    assert MARK.encode() not in b"".join(p.read_bytes() for p in (tmp_path / "dask.parquet").iterdir())
    assert MARK not in caplog.text
    for lines in client.get_worker_logs().values():
        assert not any(MARK in msg for _, msg in lines)
    for key in client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes)):
        assert MARK not in key
    # several partitions, spread over both workers
    assert len(list((tmp_path / "dask.parquet").glob("part.*.parquet"))) >= 6  # 167 rows, 30 a partition


def test_cli_scan_of_parquet_and_a_folder_with_since(cluster, recs, tmp_path):
    lc, _ = cluster
    import pyarrow as pa

    folder = tmp_path / "exports"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist(recs[:80]), folder / "a.parquet", row_group_size=70)  # row groups cut up
    with gzip.open(folder / "b.csv.gz", "wt", encoding="utf-8", newline="") as f:  # read whole, then cut up
        f.write(write_csv(tmp_path / "b.csv", recs[80:]).read_text(encoding="utf-8"))
    for since in (None, "2024-04-01"):
        extra = ["--since", since] if since else []
        local, remote = tmp_path / f"local{len(extra)}.parquet", tmp_path / f"dask{len(extra)}.parquet"
        assert _scan(str(folder), "--date-col", "date", *extra, "-o", str(local)) == 0
        assert _scan(str(folder), "--date-col", "date", *extra, "-o", str(remote), "--scheduler",
                     lc.scheduler_address, "--chunk-size", "50") == 0
        _same(remote, local)
    assert len(_load_dir(tmp_path / "dask2.parquet")) < len(_load_dir(tmp_path / "dask0.parquet"))


def test_cli_scan_refuses_a_csv_it_cannot_split_safely(cluster, tmp_path, capsys):
    lc, _ = cluster
    src = tmp_path / "odd.csv"
    lines = ["id,text"] + [f"Q{n},PC {MARK} saw nothing" for n in range(30)]
    lines[5] = f'Q-odd,PC {MARK} is 6" tall'  # a stray quote in an unquoted field: the csv module reads it as is
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _scan(str(src), "-o", str(tmp_path / "odd.parquet"), "--scheduler", lc.scheduler_address,
                 "--chunk-size", "10") == 1
    err = capsys.readouterr().err
    assert "Parquet" in err and MARK not in err
    assert not (tmp_path / "odd.parquet").exists()


@pytest.mark.parametrize("extra", [
    ["-o", "{tmp}/out.csv"],
    ["-o", "sqlite:///{tmp}/out.db"],
    ["-o", "{tmp}/out.parquet", "--workers", "2"],
    ["-o", "{tmp}/out.parquet", "--restart"],
])
def test_cli_scan_usage_errors(tmp_path, extra, capsys):
    src = write_csv(tmp_path / "in.csv", records(3, prefix="U"))
    args = [a.format(tmp=tmp_path) for a in extra]
    assert _scan(str(src), *args, "--scheduler", "tcp://127.0.0.1:9") == 2
    assert "safeguard-nlp scan:" in capsys.readouterr().err
