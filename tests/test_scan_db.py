"""safeguard-nlp scan from and to real databases: SQLite always, PostgreSQL when SAFEGUARD_TEST_PG_URL is set.

.ci/run starts Debian's PostgreSQL on loopback and sets SAFEGUARD_TEST_PG_URL,
so CI runs every test here against both.
"""

from __future__ import annotations

import importlib
import os
import signal
import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa

import safeguard_nlp
from safeguard_nlp.batch import ScanError, ScanOptions, UsageError, scan
from safeguard_nlp.schema import SIGNAL_FIELDS

from scan_support import MARK, by_id, load_output, records, run_scan, summary

PG_URL = os.environ.get("SAFEGUARD_TEST_PG_URL")
scan_module = importlib.import_module("safeguard_nlp.batch.scan")

N = 150


@pytest.fixture(scope="module")
def recs():
    rs = records(N, seed=31)
    rs[5]["text"] = "Chn present. " * 60  # oversized at --max-chars 500
    return rs


@pytest.fixture(scope="module")
def reference(recs, nlp):
    return {r["id"]: res for r, res in zip(recs, safeguard_nlp.annotate([r["text"] for r in recs], nlp))}


class Db:
    """A database for one test: tables get a unique suffix and are dropped afterwards."""

    def __init__(self, kind: str, url: str):
        self.kind, self.url = kind, url
        self.engine = sa.create_engine(url)
        self.suffix = uuid.uuid4().hex[:8]
        self.created = []

    def name(self, base: str) -> str:
        name = f"{base}_{self.suffix}"
        self.created += [name, f"{name}_quarantine"]
        return name

    def load(self, recs, base: str = "incidents", primary_key: bool = True) -> str:
        table = self.name(base)
        date_type = sa.DateTime() if self.kind == "postgresql" else sa.Text()
        meta = sa.MetaData()
        sa.Table(table, meta, sa.Column("id", sa.Text, primary_key=primary_key), sa.Column("date", date_type),
                 sa.Column("source", sa.Text), sa.Column("text", sa.Text))
        meta.create_all(self.engine)
        self.insert(table, recs)
        return table

    def insert(self, table: str, recs) -> None:
        t = sa.Table(table, sa.MetaData(), autoload_with=self.engine)
        is_ts = isinstance(t.c.date.type, sa.DateTime)
        rows = [{"id": r["id"], "source": r.get("source"), "text": r["text"],
                 "date": datetime.fromisoformat(r["date"]) if is_ts else r["date"]} for r in recs]
        with self.engine.begin() as conn:
            conn.execute(sa.delete(t).where(t.c.id.in_([r["id"] for r in recs])))
            conn.execute(sa.insert(t), rows)

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()

    def close(self) -> None:
        with self.engine.begin() as conn:
            for name in self.created:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        self.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "postgresql":
        if not PG_URL:
            pytest.skip("SAFEGUARD_TEST_PG_URL is not set (.ci/run sets it)")
        database = Db("postgresql", PG_URL)
    else:
        database = Db("sqlite", f"sqlite:///{tmp_path / 'records.db'}")
    yield database
    database.close()


def opts(source, dest, **kw) -> ScanOptions:
    kw.setdefault("progress", False)
    return ScanOptions(source=source, dest=dest, **kw)


def assert_rows_match(rows, reference, recs):
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in recs), summary(rows)
    for row in rows:
        res = reference[row["id"]]
        if row["status"] == "quarantined":
            continue
        assert row["status"] == res["status"], row["id"]
        for field in SIGNAL_FIELDS:
            assert row[field] == res["signals"][field], (row["id"], field)


def test_table_to_table(db, recs, reference):
    src = db.load(recs)
    out = db.name("signals")
    report = scan(opts(db.url, db.url, table=src, date_col="date", output_table=out, chunk_size=40, max_chars=500))
    assert report.records == N and report.quarantined == 1 and report.exit_status == 3
    rows = load_output(db.url, table=out)
    assert_rows_match(rows, reference, recs)
    assert by_id(rows)[recs[5]["id"]]["status_reason"] == "longer than 500 characters (780)"
    assert by_id(rows)[recs[0]["id"]]["record_date"].startswith(recs[0]["date"][:10])
    q = load_output(db.url, table=f"{out}_quarantine")
    assert [(r["id"], r["snippet"]) for r in q] == [(recs[5]["id"], None)]
    with db.engine.connect() as conn:
        texts = conn.execute(sa.text(f"SELECT * FROM {out}")).all()
        assert MARK not in repr(texts)
        assert conn.execute(sa.text("SELECT count(*) FROM safeguard_scan_chunks WHERE dest_table = :t"), {"t": out}).scalar() == 0


def test_query_to_parquet_in_id_order(db, recs, reference, tmp_path):
    src = db.load(recs)
    query = f"SELECT id AS ref, text AS narrative, date AS logged FROM {src} WHERE source <> 'school'"
    dest = tmp_path / "out.parquet"
    scan(opts(db.url, str(dest), query=query, id_col="ref", text_col="narrative", date_col="logged", chunk_size=25))
    rows = load_output(str(dest))
    expected = sorted(r["id"] for r in recs if r["source"] != "school")
    assert [r["id"] for r in rows] == expected
    assert_rows_match(rows, reference, [r for r in recs if r["source"] != "school"])


def test_incremental_scans_upsert_on_the_id(db, recs, reference):
    src = db.load(recs)
    out = db.name("signals")
    cutoff = "2024-07-01"
    common = dict(table=src, date_col="date", output_table=out, chunk_size=30, max_chars=500)
    first = scan(opts(db.url, db.url, since=cutoff, **common))
    later = [r for r in recs if r["date"] >= cutoff]
    assert first.records == len(later) and db.count(out) == len(later)
    full = scan(opts(db.url, db.url, **common))
    assert full.records == N and db.count(out) == N
    assert db.count(f"{out}_quarantine") == 1
    # a record edited (now fine, and re-dated) and a new one arrive; the nightly scan takes only them
    fixed = dict(recs[5], text="DA at address, no children present.", date="2024-12-30T10:00:00")
    new = {"id": "T-NEW-1", "date": "2024-12-31T09:00:00", "source": "school", "text": "Pupil (Y4) said dad hit her."}
    db.insert(src, [fixed, new])
    nightly = scan(opts(db.url, db.url, since="2024-12-30", **common))
    assert nightly.records == len([r for r in recs if r["date"] >= "2024-12-30" and r["id"] != fixed["id"]]) + 2
    rows = by_id(load_output(db.url, table=out))
    assert len(rows) == N + 1, "an upsert duplicated or lost a record"
    assert rows[fixed["id"]]["status"] == "ok" and rows[fixed["id"]]["domestic_abuse"] is not None
    assert rows["T-NEW-1"]["status"] == "ok"
    assert db.count(f"{out}_quarantine") == 0, "a record that is now fine is still listed as quarantined"


def test_resume_after_a_kill_inside_the_database(db, recs):
    src = db.load(recs)
    ref, out = db.name("reference"), db.name("signals")
    args = ["--table", src, "--date-col", "date", "--chunk-size", "40", "--max-chars", "500"]
    scan(opts(db.url, db.url, table=src, date_col="date", chunk_size=40, max_chars=500, output_table=ref))
    for point in ("first-chunk", "db-commit"):
        proc = run_scan(db.url, *args, "-o", db.url, "--output-table", out, env={"SAFEGUARD_NLP_FAILPOINT": point})
        assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
        assert db.count(out) == 40, "only the first chunk is committed"
    final = run_scan(db.url, *args, "-o", db.url, "--output-table", out)
    assert final.returncode == 3, final.stderr[-2000:]
    assert "(40 done before a resume)" in final.stderr
    assert load_output(db.url, table=out) == load_output(db.url, table=ref)


def test_rerun_with_other_options_is_refused(db, recs, monkeypatch):
    src = db.load(recs[:60])
    out = db.name("signals")
    proc = run_scan(db.url, "--table", src, "-o", db.url, "--output-table", out, "--chunk-size", "20",
                    env={"SAFEGUARD_NLP_FAILPOINT": "first-chunk"})
    assert proc.returncode == -signal.SIGKILL
    with pytest.raises(UsageError, match="chunk_size"):
        scan(opts(db.url, db.url, table=src, output_table=out, chunk_size=30))
    report = scan(opts(db.url, db.url, table=src, output_table=out, chunk_size=30, restart=True))
    assert report.records == 60 and report.resumed == 0 and db.count(out) == 60


def test_duplicate_ids_in_a_database_source_fail_the_job(db, recs):
    src = db.load(recs[:30], primary_key=False)
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {src} (id, source, text) VALUES (:i, 'school', 'again')"), {"i": recs[20]["id"]})
    with pytest.raises(ScanError, match="appears more than once"):
        scan(opts(db.url, db.url, table=src, output_table=db.name("signals"), chunk_size=10))


def test_an_output_table_without_the_columns_is_refused(db, recs):
    src = db.load(recs[:10])
    other = db.name("other")
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE {other} (id TEXT PRIMARY KEY, note TEXT)"))
    with pytest.raises(UsageError, match="exists without column"):
        scan(opts(db.url, db.url, table=src, output_table=other))


def test_an_existing_table_without_a_key_is_written_by_delete_and_insert(db, recs):
    src = db.load(recs[:20])
    out = db.name("signals")
    from safeguard_nlp.batch.sinks import output_table

    columns = [sa.Column(c.name, c.type) for c in output_table(out, sa.MetaData()).columns]  # no primary key
    sa.Table(out, sa.MetaData(), *columns).create(db.engine)
    for _ in range(2):
        scan(opts(db.url, db.url, table=src, output_table=out, chunk_size=7))
    assert db.count(out) == 20


def test_missing_source_table_and_column_are_usage_errors(db, recs):
    src = db.load(recs[:5])
    with pytest.raises(UsageError, match="no table"):
        scan(opts(db.url, db.url, table="nope_" + db.suffix))
    with pytest.raises(UsageError, match="no text column 'narrative'"):
        scan(opts(db.url, db.url, table=src, text_col="narrative"))
