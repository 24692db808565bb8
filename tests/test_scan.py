"""safeguard-nlp scan on files: formats, options, quarantine, exit codes, privacy and workers."""

from __future__ import annotations

import csv
import fcntl
import importlib
import json
import os
import pty
import struct
import subprocess
import termios

import pytest
from spacy.language import Language

import safeguard_nlp
from safeguard_nlp import cli
from safeguard_nlp.batch import COLUMNS, QUARANTINE_COLUMNS, ScanOptions, WarmPipeline, scan
from safeguard_nlp.batch.errors import SourceChangedError, StateMismatchError, UsageError
from safeguard_nlp.batch.sinks import escape_csv_cell
from safeguard_nlp.schema import SIGNAL_FIELDS

from scan_support import (MARK, by_id, load_output, records, run_scan, scan_cmd, summary, write_csv,
                          write_jsonl, write_parquet)

scan_module = importlib.import_module("safeguard_nlp.batch.scan")  # the module, not batch.scan the function

N = 120


@pytest.fixture(scope="module")
def recs():
    return records(N)


@pytest.fixture(scope="module")
def reference(recs, nlp):
    """What annotate() says of each record, by id: the truth every output must carry."""
    results = list(safeguard_nlp.annotate([r["text"] for r in recs], nlp))
    return {r["id"]: res for r, res in zip(recs, results)}


def opts(source, dest, **kw) -> ScanOptions:
    kw.setdefault("progress", False)
    return ScanOptions(source=str(source), dest=str(dest), **kw)


def assert_matches_reference(rows, recs, reference):
    assert [r["id"] for r in rows] == [r["id"] for r in recs], summary(rows)
    for row in rows:
        res = reference[row["id"]]
        assert row["status"] == res["status"], row["id"]
        for field in SIGNAL_FIELDS:
            assert row[field] == res["signals"][field], (row["id"], field)
        raised = [f for f in SIGNAL_FIELDS if f not in ("risk_factors", "child_ages") and res["signals"][f]]
        assert row["flags"] == raised + [f"risk:{c}" for c in res["signals"]["risk_factors"]], row["id"]
        assert row["pipeline_version"] == safeguard_nlp.__version__
        assert row["model_checksum"] and len(row["model_checksum"]) == 64


# ----------------------------------------------------------------------------- formats

@pytest.mark.parametrize("src_fmt", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("out_fmt", ["csv", "jsonl", "parquet"])
def test_file_round_trips(tmp_path, recs, reference, src_fmt, out_fmt):
    writer = {"csv": write_csv, "jsonl": write_jsonl, "parquet": write_parquet}[src_fmt]
    src = writer(tmp_path / f"in.{src_fmt}", recs)
    dest = tmp_path / f"out.{out_fmt}"
    report = scan(opts(src, dest, date_col="date", chunk_size=37))
    assert report.records == N and report.exit_status == 0
    rows = load_output(str(dest))
    assert list(rows[0]) == [c for c in COLUMNS if c != "processed_at"]
    assert_matches_reference(rows, recs, reference)
    assert [r["record_date"] for r in rows] == [r["date"] for r in recs]
    assert not (tmp_path / f"out.{out_fmt}.scan-state").exists(), "state folder left behind"
    quarantine = tmp_path / f"out.quarantine.{out_fmt}"
    assert quarantine.exists() and load_output(str(quarantine)) == []


def test_every_output_row_names_its_evidence(tmp_path, recs):
    dest = tmp_path / "out.jsonl"
    scan(opts(write_csv(tmp_path / "in.csv", recs), dest, evidence="all"))
    for row in load_output(str(dest)):
        evidence = json.loads(row["evidence"])
        assert set(evidence) <= set(SIGNAL_FIELDS), row["id"]
        for field in ("injury", "missing_episode", "domestic_abuse", "referral", "risk_factors"):
            if row[field]:
                assert any(i["accepted"] for i in evidence.get(field, [])), (row["id"], field)
        if row["children_present"]:
            assert any(i["accepted"] for f in ("children_present", "child_injury", "missing_episode", "child_voice")
                       for i in evidence.get(f, [])), row["id"]
        for items in evidence.values():
            for item in items:
                assert {"label", "rule", "accepted", "reason"} <= set(item), row["id"]
                assert "text" not in item and "snippet" not in item, row["id"]
                if "start" in item:
                    assert 0 <= item["start"] <= item["end"], row["id"]
                    if item["label"] != "AGE":
                        assert set(item["context"]) == {"negated", "hypothetical", "historical", "subject"}


def test_folder_and_glob_sources_read_files_in_name_order(tmp_path, recs):
    folder = tmp_path / "exports"
    folder.mkdir()
    write_csv(folder / "b.csv", recs[60:])
    write_jsonl(folder / "a.jsonl", recs[:60])
    (folder / "notes.txt").write_text("not data")
    for source in (folder, f"{folder}/*.*sv", f"{folder}/[ab].*"):
        dest = tmp_path / "out.parquet"
        report = scan(opts(source, dest, restart=True))
        rows = load_output(str(dest))
        expected = recs if "sv" not in str(source) else recs[60:]
        assert [r["id"] for r in rows] == [r["id"] for r in expected], (source, summary(rows))
        assert report.records == len(expected)


def test_other_column_names_and_gzip(tmp_path, recs):
    import gzip

    path = tmp_path / "in.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for r in recs[:20]:
            f.write(json.dumps({"Ref": r["id"], "Narrative": r["text"]}) + "\n")
    dest = tmp_path / "out.csv"
    scan(opts(path, dest, id_col="ref", text_col="narrative"))
    assert [r["id"] for r in load_output(str(dest))] == [r["id"] for r in recs[:20]]


def test_integer_ids_are_written_as_text(tmp_path):
    src = tmp_path / "in.parquet"
    write_parquet(src, [{"id": 7, "text": "Chn present."}, {"id": 8, "text": None}])
    dest = tmp_path / "out.parquet"
    scan(opts(src, dest))
    rows = load_output(str(dest))
    assert [(r["id"], r["status"]) for r in rows] == [("7", "ok"), ("8", "empty")]


# ----------------------------------------------------------------------------- incremental scans

def test_since_keeps_records_dated_on_or_after(tmp_path, recs):
    extra = [{"id": "U1", "date": "", "text": "no date"}, {"id": "U2", "date": "last Tuesday", "text": "odd date"},
             {"id": "U3", "date": "2024-07-01", "text": "on the day"}, {"id": "U4", "date": "2024-07-01T00:00:00Z", "text": "midnight"}]
    src = write_csv(tmp_path / "in.csv", recs + extra)
    dest = tmp_path / "out.csv"
    report = scan(opts(src, dest, date_col="date", since="2024-07-01"))
    rows = by_id(load_output(str(dest)))
    expected = {r["id"] for r in recs if r["date"] >= "2024-07-01"} | {"U2", "U3", "U4"}
    assert set(rows) == expected
    assert rows["U2"]["status"] == "quarantined" and rows["U2"]["status_reason"] == "date not understood"
    assert report.exit_status == 3


def test_since_needs_a_date_column(tmp_path, recs):
    with pytest.raises(UsageError, match="--since needs --date-col"):
        scan(opts(write_csv(tmp_path / "in.csv", recs), tmp_path / "o.csv", since="2024-01-01"))
    with pytest.raises(UsageError, match="ISO 8601"):
        scan(opts(write_csv(tmp_path / "in.csv", recs), tmp_path / "o.csv", date_col="date", since="yesterday"))


# ----------------------------------------------------------------------------- CSV safety

@pytest.mark.parametrize("cell", ["=1+1", "+44 7700", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_escape_csv_cell_defuses_formulas(cell):
    assert escape_csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "DEMO-1", "{\"a\":1}", "[1]", "x=1", "0"])
def test_escape_csv_cell_leaves_plain_cells(cell):
    assert escape_csv_cell(cell) == cell


def test_csv_output_escapes_formula_cells(tmp_path):
    ids = ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-1", "@A1", "plain"]
    dates = ["=NOW()", "\t2024-01-01", "\r2024-01-01", "-2024", "2024-01-01"]
    src = write_csv(tmp_path / "in.csv", [{"id": i, "date": d, "text": "DA, chn present."} for i, d in zip(ids, dates)])
    dest = tmp_path / "out.csv"
    scan(opts(src, dest, date_col="date"))
    with open(dest, encoding="utf-8", newline="") as f:
        cells = [row for row in csv.reader(f)][1:]
    assert [row[0] for row in cells] == ["'" + i for i in ids[:-1]] + ["plain"]
    assert [row[1] for row in cells] == ["'" + d for d in dates[:-1]] + ["2024-01-01"]
    for row in cells:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", cell[:20]


# ----------------------------------------------------------------------------- quarantine and exit codes

def test_undecodable_and_oversized_records_are_quarantined(tmp_path):
    src = tmp_path / "in.csv"
    long_text = "Chn present. " * 50
    src.write_bytes(
        b"id,text\n"
        b"A1,Chn (4) present.\n"
        b"A2,\"Bad \xff\xfe bytes " + MARK.encode() + b"\"\n"
        b"A3,\"" + long_text.encode() + b"\"\n"
        b"A4,\n"
        b",no id here\n"
        b"A6,\"fine again\"\n"
    )
    dest = tmp_path / "out.csv"
    report = scan(opts(src, dest, max_chars=400))
    rows = by_id(load_output(str(dest)))
    assert [rows[i]["status"] for i in ("A1", "A2", "A3", "A4", "A6")] == ["ok", "quarantined", "quarantined", "empty", "ok"]
    assert rows["A2"]["status_reason"] == "not valid UTF-8"
    assert rows["A3"]["status_reason"].startswith("longer than 400 characters")
    assert rows["#in.csv:5"]["status_reason"] == "no record id"
    assert all(rows["A2"][f] is None for f in SIGNAL_FIELDS)
    assert report.quarantined == 3 and report.exit_status == 3
    q = load_output(str(tmp_path / "out.quarantine.csv"))
    assert list(q[0]) == [c for c in QUARANTINE_COLUMNS if c != "processed_at"]
    assert [(r["id"], r["location"]) for r in q] == [("A2", "in.csv:2"), ("A3", "in.csv:3"), ("#in.csv:5", "in.csv:5")]
    assert all(r["snippet"] is None for r in q)
    assert MARK not in dest.read_text(encoding="utf-8") + (tmp_path / "out.quarantine.csv").read_text(encoding="utf-8")


def test_quarantine_path_can_be_named(tmp_path):
    src = write_csv(tmp_path / "in.csv", [{"id": "A", "text": "x" * 50}, {"id": "B", "text": "Chn present."}])
    scan(opts(src, tmp_path / "out.jsonl", max_chars=20, quarantine=str(tmp_path / "q" / "held.csv")))
    assert [r["id"] for r in load_output(str(tmp_path / "q" / "held.csv"))] == ["A"]
    assert not (tmp_path / "out.quarantine.jsonl").exists()


def test_bad_json_lines_are_quarantined(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "J1", "text": "Chn present."}\n{not json}\n[1, 2]\n\n'
                    b'{"id": "J4", "text": 42}\n{"id": "J5", "text": "\\ud800 lone"}\n')
    dest = tmp_path / "out.jsonl"
    scan(opts(src, dest))
    rows = load_output(str(dest))
    assert [(r["id"], r["status"], r["status_reason"]) for r in rows] == [
        ("J1", "ok", None), ("#in.jsonl:2", "quarantined", "not valid JSON"),
        ("#in.jsonl:3", "quarantined", "not a JSON object"),
        ("J4", "quarantined", "text is not a string (int)"), ("J5", "quarantined", "not valid UTF-8")]


@Language.component("safeguard_test_explode")
def _explode(doc):
    if "Kaboomtastic" in doc.text:
        raise RuntimeError("cannot read Kaboomtastic")
    return doc


@pytest.fixture()
def exploding_pipeline(monkeypatch):
    """In-process scans use a pipeline that raises on one word, as a buggy rule would."""
    warm = WarmPipeline(None)
    warm.nlp.add_pipe("safeguard_test_explode", first=True)
    monkeypatch.setattr(scan_module, "_pipeline", lambda path, checksum: warm)
    return warm.nlp


def test_a_record_whose_processing_raises_is_quarantined_and_the_batch_goes_on(tmp_path, recs, reference, exploding_pipeline):
    bad = [dict(r) for r in recs[:30]]
    bad[7]["text"] = "Chn present. Kaboomtastic."
    bad[19]["text"] = "Kaboomtastic again."
    dest = tmp_path / "out.parquet"
    report = scan(opts(write_csv(tmp_path / "in.csv", bad), dest, chunk_size=12))
    rows = load_output(str(dest))
    assert [r["status"] for r in rows].count("quarantined") == 2
    assert rows[7]["status_reason"] == "processing failed: RuntimeError"
    good = [r for n, r in enumerate(rows) if n not in (7, 19)]
    assert_matches_reference(good, [r for n, r in enumerate(bad) if n not in (7, 19)], reference)
    assert report.exit_status == 3
    # with snippets, the reason carries the error message and the quarantine entry the text
    dest2 = tmp_path / "out2.parquet"
    scan(opts(tmp_path / "in.csv", dest2, chunk_size=12, with_snippets=True))
    q = load_output(str(tmp_path / "out2.quarantine.parquet"))
    assert q[0]["reason"] == "processing failed: RuntimeError: cannot read Kaboomtastic"
    assert q[0]["snippet"].startswith("Chn present. Kaboomtastic")


def test_exit_codes(tmp_path, recs, capsys):
    src = write_csv(tmp_path / "in.csv", recs[:10])
    assert cli.main(["scan", str(src), "-o", str(tmp_path / "a.csv"), "--no-progress"]) == 0
    assert "scan: 10 records" in capsys.readouterr().err
    assert cli.main(["scan", str(src), "-o", str(tmp_path / "b.csv"), "--max-chars", "50", "--no-progress"]) == 3
    assert cli.main(["scan", str(src), "-o", str(tmp_path / "c.csv"), "--text-col", "narrative"]) == 2
    assert "no text column 'narrative'" in capsys.readouterr().err
    assert cli.main(["scan", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "d.csv")]) == 2
    assert cli.main(["scan", str(src), "-o", str(tmp_path / "e.txt")]) == 2
    assert cli.main(["scan", "sqlite:///" + str(tmp_path / "none.db"), "--table", "t", "-o", str(tmp_path / "f.csv")]) == 2
    (tmp_path / "a-file").write_text("not a folder")
    assert cli.main(["scan", str(src), "-o", str(tmp_path / "a-file" / "g.csv")]) == 1
    assert "failed" in capsys.readouterr().err
    assert cli.main(["scan", str(src), "-o", str(tmp_path / "new" / "folder" / "h.csv"), "--no-progress"]) == 0
    with pytest.raises(SystemExit) as exc:
        cli.main(["scan", str(src)])
    assert exc.value.code == 2


def test_help_documents_the_exit_codes():
    text = cli.build_parser()._subparsers._group_actions[0].choices["scan"].format_help()
    for line in ("0  every record was processed", "3  the scan finished but some records were quarantined",
                 "1  the job failed", "2  usage error"):
        assert line in text


# ----------------------------------------------------------------------------- privacy

def test_no_narrative_text_in_outputs_or_logs_by_default(tmp_path, recs):
    bad = recs[:40] + [{"id": "Q1", "date": "2024-01-01", "text": f"Too long. {MARK} " * 60}]
    src = write_csv(tmp_path / "in.csv", bad)
    dest = tmp_path / "out.csv"
    proc = run_scan(str(src), "-o", str(dest), "--max-chars", "700", "--evidence", "all", "--chunk-size", "10")
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert "quarantined" in proc.stderr and "Q1" in proc.stderr
    assert "\r" not in proc.stderr and "[00:" not in proc.stderr, "a progress bar in a log"
    assert len([ln for ln in proc.stderr.splitlines() if ln.startswith("scan: ")]) == 1
    outputs = [dest, tmp_path / "out.quarantine.csv"]
    assert MARK not in proc.stderr + proc.stdout
    for path in outputs:
        assert MARK not in path.read_text(encoding="utf-8"), path.name
    # the same scan with snippets carries the text, in evidence and quarantine
    dest2 = tmp_path / "snip.jsonl"
    proc = run_scan(str(src), "-o", str(dest2), "--max-chars", "700", "--with-snippets", "--chunk-size", "10")
    assert proc.returncode == 3
    assert MARK not in proc.stderr, "snippets go to outputs, never to the log"
    assert MARK in (tmp_path / "snip.quarantine.jsonl").read_text(encoding="utf-8")
    texts = {r["id"]: r["text"] for r in bad}
    for row in load_output(str(dest2)):
        for items in json.loads(row["evidence"] or "{}").values():
            for item in items:
                if "start" in item:
                    assert item["text"] == texts[row["id"]][item["start"]:item["end"]], row["id"]
                    assert item["text"] in item["snippet"]


def test_progress_bar_only_on_a_terminal(tmp_path, recs):
    """(Without a terminal there is none: see test_no_narrative_text_in_outputs_or_logs_by_default.)"""
    src = write_csv(tmp_path / "in.csv", recs[:30])
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    p = subprocess.Popen(scan_cmd(str(src), "-o", str(tmp_path / "b.csv")), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    p.wait(timeout=120)
    os.close(master)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert p.returncode == 0
    assert "records/s]" in shown and "\r" in shown, "no progress bar on a terminal"


# ----------------------------------------------------------------------------- workers and resumption basics

def test_two_workers_give_the_same_output_as_one(tmp_path, recs):
    src = write_csv(tmp_path / "in.csv", recs)
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    scan(opts(src, one, chunk_size=16, date_col="date"))
    report = scan(opts(src, two, chunk_size=16, date_col="date", workers=2))
    assert report.records == N
    assert load_output(str(one)) == load_output(str(two))


def test_rerun_with_other_arguments_is_refused_until_restart(tmp_path, recs):
    src = write_csv(tmp_path / "in.csv", recs[:40])
    dest = tmp_path / "out.parquet"
    state = tmp_path / "out.parquet.scan-state"
    # a real interrupted run: killed (SIGKILL) right after its first chunk is durable
    proc = run_scan(str(src), "-o", str(dest), "--chunk-size", "10", env={"SAFEGUARD_NLP_FAILPOINT": "first-chunk"})
    assert proc.returncode == -9
    assert (state / "part-0000000.parquet").exists() and not dest.exists()
    with pytest.raises(StateMismatchError, match="chunk_size"):
        scan(opts(src, dest, chunk_size=20))
    assert cli.main(["scan", str(src), "-o", str(dest), "--chunk-size", "20"]) == 2
    changed = [dict(r) for r in recs[:40]]
    changed[3]["text"] = "Edited since the first run."
    write_csv(src, changed)
    with pytest.raises(SourceChangedError, match="chunk 0 differs"):
        scan(opts(src, dest, chunk_size=10))
    report = scan(opts(src, dest, chunk_size=20, restart=True))
    assert report.records == 40 and report.resumed == 0 and not state.exists()
