"""``safeguard-nlp report``: a self-contained, escaped HTML audit report of a scan's output.

The known-figure tests write hand-made rows with the scanner's own writers
(every format it writes), so the figures are known exactly; an end-to-end
test scans a few invented records and checks the report against figures
computed here with pandas. Failure messages name figures and ids, never
narrative text.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any, Dict, List, Optional, Tuple

import pytest

from safeguard_nlp import demo
from safeguard_nlp.batch import rows as R
from safeguard_nlp.batch.sinks import open_sink
from safeguard_nlp.cli import main
from safeguard_nlp.report import build_report, compute, iter_results
from safeguard_nlp.schema import normalise_signals

STAMP = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
EVIL_ID = '<img src=x onerror="alert(1)">'
EVIL_TEXT = 'Chn present. <script>alert("pwned")</script> Kid said "</td><b>hi</b>" upstairs.'
FORMULA_ID = "=1+2"


# --------------------------------------------------------------------------------- HTML inspection

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "area", "base", "source", "track", "embed", "param"}
#: SVG elements that may be written self-closed (``<rect .../>``).
SVG_EMPTY = {"rect", "circle", "line", "polyline", "path"}


class Inspector(HTMLParser):
    """Collects tags, attributes and text, and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: List[str] = []
        self.problems: List[str] = []
        self.tags: List[Tuple[str, Dict[str, Optional[str]]]] = []
        self.text: List[str] = []
        self.doctype = False
        self.style = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID and tag not in SVG_EMPTY:
            self.problems.append(f"self-closed <{tag}/>")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "style":
            self.style += data
        else:
            self.text.append(data)

    @property
    def plain(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))


def inspect(doc: str) -> Inspector:
    p = Inspector()
    p.feed(doc)
    p.close()
    return p


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "div", "span", "b", "i", "code", "mark",
    "table", "thead", "tbody", "tr", "th", "td", "ul", "ol", "li", "nav", "a",
    "svg", "rect", "text", "line", "polyline", "circle",
}
URL_ATTRS = {"href", "src", "srcset", "action", "formaction", "data", "poster", "xlink:href", "background", "ping",
             "cite", "longdesc", "manifest", "codebase", "archive", "icon"}


def assert_self_contained(doc: str) -> Inspector:
    """The document parses, is balanced, and can make no network fetch and run no script."""
    p = inspect(doc)
    assert p.doctype, "no <!DOCTYPE html>"
    assert not p.problems, p.problems[:5]
    assert not p.stack, f"unclosed elements: {p.stack}"
    names = {t for t, _ in p.tags}
    assert names <= ALLOWED_TAGS, f"unexpected elements: {sorted(names - ALLOWED_TAGS)}"
    for tag, attrs in p.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler attribute {name} on <{tag}>"
            if name in URL_ATTRS:
                assert (value or "").startswith("#"), f"<{tag} {name}> is not an in-page link"
            assert "http:" not in (value or "") and "https:" not in (value or "") and "//" not in (value or ""), \
                f"<{tag} {name}> holds an address"
            if name == "style":
                assert "url(" not in (value or "").lower()
    assert "url(" not in p.style.lower() and "@import" not in p.style.lower() and "@font-face" not in p.style.lower()
    csp = [a.get("content", "") for t, a in p.tags if t == "meta" and (a.get("http-equiv") or "").lower()
           == "content-security-policy"]
    assert csp and "default-src 'none'" in csp[0] and "script-src" not in csp[0]
    assert "<script" not in doc.lower()
    return p


# --------------------------------------------------------------------------------- hand-made scan output

def _item(label, category, rule, start, end, *, accepted=True, reason="", subject="child", negated=False, cues=()):
    return {"label": label, "category": category, "rule": rule, "start": start, "end": end, "accepted": accepted,
            "reason": reason, "negated": negated, "hypothetical": False, "historical": False, "subject": subject,
            "cues": list(cues)}


def _result(text: str, **signals: Any) -> Dict[str, Any]:
    sig = normalise_signals(signals)
    evidence: Dict[str, List[Dict[str, Any]]] = {}
    if sig["children_present"]:
        evidence["children_present"] = [_item("CHILD", "generic", "child.generic", 0, 3, reason="child mentioned as present")]
    if signals.get("voice_item"):
        evidence["child_voice"] = [signals["voice_item"]]
    if sig["missing_episode"]:
        evidence["missing_episode"] = [_item("MISSING", "missing", "missing.missing", 0, 3, reason="child missing")]
    if sig["risk_factors"]:
        evidence["risk_factors"] = [_item("RISK_FACTOR", c, f"risk.{c}", 4, 8, reason="child's risk factor")
                                    for c in sig["risk_factors"]]
    return {"signals": sig, "evidence": evidence, "status": "ok"}


NEG_VOICE = _item("VOICE", "speech", "voice.speech", 60, 64, accepted=False, reason="negated", negated=True,
                  cues=[{"type": "negated", "rule": "neg.not", "start": 56, "end": 59, "text": "not"}])

#: (id, date, result or status) with known figures: see test_known_figures.
KNOWN: List[Tuple[str, Optional[str], Any]] = [
    ("K-01", "2024-01-05T10:00:00", _result("Chn here.", children_present=True, child_voice=True,
                                             domestic_abuse=True, referral=True)),
    ("K-02", "2024-01-20T10:00:00", _result("Chn here.", children_present=True, domestic_abuse=True, injury=True,
                                             voice_item=NEG_VOICE)),
    (FORMULA_ID, "2024-02-03T10:00:00", _result("Chn here.", children_present=True, domestic_abuse=True, injury=True,
                                                 child_injury=True, referral=True)),
    ("K-04", "2024-02-10T10:00:00", _result("MFH here.", children_present=True, missing_episode=True,
                                             risk_factors=["sexual_exploitation", "online_contact"])),
    ("K-05", "2024-03-01T10:00:00", _result("MFH here.", children_present=True, child_voice=True,
                                             missing_episode=True, risk_factors=["looked_after"])),
    ("K-06", "2024-03-15T10:00:00", _result("MFH here.", children_present=True, missing_episode=True)),
    ("K-07", "2024-03-20T10:00:00", "empty"),
    ("K-08", "2024-03-21T10:00:00", "quarantined"),
    ("K-09", None, _result("IP hurt.", injury=True)),
]


def known_rows(snippets: bool = False, evil: bool = False) -> List[R.Row]:
    ctx = R.RowContext("0.1.0", "c" * 64, evidence="all", snippets=snippets)
    rows = []
    for rid, date, result in KNOWN:
        if result == "empty":
            from safeguard_nlp.schema import empty_signals

            rows.append(R.result_row(rid, date, {"signals": empty_signals(), "evidence": {}, "status": "empty"}, ctx,
                                     STAMP))
        elif result == "quarantined":
            rows.append(R.quarantine_row(rid, date, "not valid UTF-8", ctx, STAMP))
        else:
            text = EVIL_TEXT if evil else "Chn present. " + "x" * 80
            rows.append(R.result_row(rid, date, result, ctx, STAMP, text=text))
    if evil:
        result = _result(EVIL_TEXT, children_present=True, domestic_abuse=True)
        at = EVIL_TEXT.index("<script>")
        result["evidence"]["children_present"].append(
            _item("CHILD", "<i>generic</i>", 'child.<b>"x"</b>', at, at + 30, reason="<em>present</em>"))
        rows.append(R.result_row(EVIL_ID, '"><script>alert(2)</script>', result, ctx, STAMP, text=EVIL_TEXT))
    return rows


def write_output(rows: List[R.Row], dest: str, table: Optional[str] = None) -> None:
    """Write rows exactly as ``safeguard-nlp scan`` would, with its own destination writers."""
    sink = open_sink(dest, table=table)
    try:
        sink.open({"test": dest}, restart=True)
        stats: Dict[str, int] = {}
        for row in rows:
            R.count_row(row, stats)
        sink.write_chunk(0, rows, "digest", stats)
        sink.finish()
    finally:
        sink.close()


FORMATS = ["csv", "jsonl", "parquet", "csv.gz", "sqlite"]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Dict[str, Tuple[str, Optional[str]]]:
    """The known rows in every format the scan writes: {format: (spec, table)}."""
    base = tmp_path_factory.mktemp("report_known")
    out = {}
    rows = known_rows()
    for fmt in FORMATS:
        if fmt == "sqlite":
            url = f"sqlite:///{base / 'signals.db'}"
            write_output(rows, url, table="signals")
            out[fmt] = (url, "signals")
        else:
            path = base / f"signals.{fmt}"
            write_output(rows, str(path))
            out[fmt] = (str(path), None)
    return out


# --------------------------------------------------------------------------------- tests

@pytest.mark.parametrize("fmt", FORMATS)
def test_reads_every_scan_format_the_same(outputs, fmt):
    spec, table = outputs[fmt]
    rows = list(iter_results(spec, table=table))
    by_id = {r["id"]: r for r in rows}
    assert sorted(by_id) == sorted(rid for rid, _, _ in KNOWN)  # the CSV formula guard is undone: "=1+2"
    assert by_id["K-04"]["risk_factors"] == ["online_contact", "sexual_exploitation"]
    assert by_id["K-04"]["missing_episode"] is True and by_id["K-04"]["child_voice"] is False
    assert by_id["K-08"]["status"] == "quarantined" and by_id["K-08"]["children_present"] is None
    assert by_id["K-07"]["status"] == "empty"
    assert by_id["K-02"]["evidence"]["child_voice"][0]["reason"] == "negated"
    assert by_id["K-09"]["record_date"] is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_known_figures(outputs, fmt):
    spec, table = outputs[fmt]
    doc = build_report(spec, table=table)
    p = assert_self_contained(doc)
    text = p.plain
    # 9 records: 7 analysed, 1 empty, 1 quarantined
    assert "9: 7 analysed, 1 with no narrative, 1 quarantined" in text
    # DA incidents with children present: K-01, K-02, =1+2; voice in K-01 only; referral in K-01 and =1+2
    assert "33.3% 1 of 3 domestic-abuse incidents with children present Domestic-abuse incidents with children " \
           "present that record the child's voice" in text
    assert "66.7% 2 of 3 domestic-abuse incidents with children present Domestic-abuse incidents with children " \
           "present that record a referral" in text
    # children present in 6; voice in K-01, K-05: 4 lack it
    assert "66.7% 4 of 6 records with children present" in text
    # missing in K-04, K-05, K-06; with a risk factor: K-04, K-05
    assert "66.7% 2 of 3 missing-child episodes Missing-child episodes with at least one risk factor" in text
    # injuries in K-02, =1+2, K-09; to a child: =1+2
    assert "33.3% 1 of 3 records of an injury" in text
    assert "42.9% 3 of 7 records analysed Records with a missing-child episode" in text
    # flag rates table and risk factors among missing episodes
    assert "Children present 6 85.7%" in text
    assert "Sexual exploitation 1 33.3%" in text and "Looked after 1 33.3%" in text
    # by month: January 2 records, February 2, March 2 (K-09 has no date)
    assert re.search(r"2024-01 2 1 \(50\.0%\) 2 \(100\.0%\)", text), "January row"
    assert "1 analysed records have no readable date" in text
    # lists: lacking voice, domestic abuse first (K-02, =1+2), then K-04, K-06, each in the output's order
    # (a database table is read in id order)
    voice = text[text.index("Records lacking the child's voice 4 records"):text.index("Missing-child episodes with risk factors 2")]
    order = [m for m in re.findall(r"K-0\d|=1\+2", voice)]
    assert order == (["=1+2", "K-02"] if fmt == "sqlite" else ["K-02", "=1+2"]) + ["K-04", "K-06"], order
    # the negated voice span of K-02 is shown as set aside, with its rule, offsets and cue
    assert "voice.speech chars 60\u201364 \u00b7 negated, about a child" in voice and "neg.not chars 56\u201359" in voice
    missing = text[text.index("Missing-child episodes with risk factors 2"):]
    assert [m for m in re.findall(r"K-0\d", missing)] == ["K-04", "K-05"]  # most risk factors first
    # no snippets were written, so no narrative words (and the report says so)
    assert "not included: evidence is shown as character offsets and rule ids" in text
    assert "Chn present" not in doc and "xxxxxxxx" not in doc


def test_snippets_shown_only_when_scanned_with_them(tmp_path):
    write_output(known_rows(snippets=True), str(tmp_path / "s.jsonl"))
    doc = build_report(str(tmp_path / "s.jsonl"))
    p = assert_self_contained(doc)
    assert "included (the scan was run with --with-snippets)" in p.plain
    assert "<mark>Chn</mark>" in doc


def test_narrative_cannot_inject_markup(tmp_path):
    write_output(known_rows(snippets=True, evil=True), str(tmp_path / "evil.jsonl"))
    records = tmp_path / "input.csv"
    records.write_text('id,source\n"<img src=x onerror=""alert(1)"">","<svg onload=alert(3)>"\nK-01,police_da\n',
                       encoding="utf-8")
    doc = build_report(str(tmp_path / "evil.jsonl"), records=str(records), title="<script>t()</script>")
    p = assert_self_contained(doc)  # no <script>, no on* attribute, only expected elements
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in doc
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in doc
    assert "&lt;svg onload=alert(3)&gt;" in doc
    assert "child.&lt;b&gt;&quot;x&quot;&lt;/b&gt;" in doc and "&lt;em&gt;present&lt;/em&gt;" in doc
    assert "&lt;/td&gt;&lt;b&gt;hi&lt;/b&gt;" in doc
    assert EVIL_ID in p.plain and "<svg onload=alert(3)>" in p.plain  # shown as text, intact
    assert not any(t == "img" for t, _ in p.tags)


def test_group_breakdown_joins_the_input_on_id(outputs, tmp_path):
    records = tmp_path / "input.csv"
    lines = ["id,date,source,text"] + [f'"{rid}",,{"police_da" if i < 3 else "missing_report"},x'
                                       for i, (rid, _, _) in enumerate(KNOWN[:8])]
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec, table = outputs["parquet"]
    doc = build_report(spec, table=table, records=str(records))
    text = assert_self_contained(doc).plain
    assert "police_da 3 2 (66.7%) 3 (100.0%)" in text
    assert "missing_report 3 2 (66.7%) 0 (0.0%) 3 (100.0%)" in text
    assert "(not in the input) 1" in text and "1 records were not found in the input" in text


def test_lists_are_capped(outputs):
    spec, _ = outputs["jsonl"]
    fig = compute(iter_results(spec), max_listed=1)
    assert [r.id for r in fig.lacking_voice] == ["K-02"] and fig.lacking_voice_total == 4
    assert [r.id for r in fig.missing_listed] == ["K-04"] and fig.missing_listed_total == 2
    fig = compute(iter_results(spec), high_risk=["looked_after"])
    assert [r.id for r in fig.missing_listed] == ["K-05"]
    doc = build_report(spec, max_listed=1)
    assert "The first 1 of 4 are listed here" in inspect(doc).plain


def test_cli_report(outputs, tmp_path, capsys):
    spec, _ = outputs["csv"]
    out = tmp_path / "r" / "report.html"
    assert main(["report", spec, "-o", str(out)]) == 0
    assert_self_contained(out.read_text(encoding="utf-8"))
    url, table = outputs["sqlite"]
    assert main(["report", url, "--table", table, "-o", str(tmp_path / "db.html")]) == 0
    assert "3 domestic-abuse incidents" in inspect((tmp_path / "db.html").read_text(encoding="utf-8")).plain
    # usage errors: exit 2, a message naming the problem, no file
    assert main(["report", str(tmp_path / "nope.parquet"), "-o", str(tmp_path / "x.html")]) == 2
    demo_input = tmp_path / "input.csv"
    demo_input.write_text("id,text\n1,hello\n", encoding="utf-8")
    assert main(["report", str(demo_input), "-o", str(tmp_path / "x.html")]) == 2
    assert main(["report", url, "--table", "missing", "-o", str(tmp_path / "x.html")]) == 2
    assert main(["report", spec, "--high-risk", "gangs", "-o", str(tmp_path / "x.html")]) == 2
    assert not (tmp_path / "x.html").exists()
    err = capsys.readouterr().err
    assert "not the output of safeguard-nlp scan" in err and "unknown risk factor" in err


def test_end_to_end_on_a_real_scan(tmp_path):
    """Scan a few invented records, report, and compare with figures computed here from the output."""
    import pandas as pd

    recs = demo.records(120, seed=5, prefix="E")
    src = tmp_path / "in.csv"
    pd.DataFrame(recs).to_csv(src, index=False)
    dest = tmp_path / "out.parquet"
    assert main(["scan", str(src), "-o", str(dest), "--date-col", "date", "--with-snippets", "-q", "--no-progress"]) == 0
    html_path = tmp_path / "report.html"
    assert main(["report", str(dest), "-o", str(html_path), "--records", str(src)]) == 0
    text = assert_self_contained(html_path.read_text(encoding="utf-8")).plain

    df = pd.read_parquet(dest)
    ok = df[df.status == "ok"]
    dac = ok[ok.domestic_abuse & ok.children_present]
    assert f"{int(dac.child_voice.sum())} of {len(dac)} domestic-abuse incidents with children present" in text
    cp = ok[ok.children_present]
    assert f"{int(cp.lacks_child_voice.sum())} of {len(cp)} records with children present" in text
    miss = ok[ok.missing_episode]
    with_risk = int(sum(len(r) > 0 for r in miss.risk_factors))
    assert f"{with_risk} of {len(miss)} missing-child episodes" in text
    assert f"{int(ok.child_injury.sum())} of {int(ok.injury.sum())} records of an injury" in text
    # every listed record lacking voice is one the scan flagged, and all are listed (fewer than the cap)
    flagged = set(ok.id[ok.lacks_child_voice])
    section = text[text.index("Records lacking the child's voice "):text.index("Missing-child episodes with risk factors ")]
    assert set(re.findall(r"E-\d+", section)) == flagged
    sources = pd.read_csv(src).set_index("id").source
    n_da_src = int(sources.reindex(list(ok.id)).eq("police_da").sum())
    assert f"police_da {n_da_src} " in text
    assert "<mark>" in html_path.read_text(encoding="utf-8")  # snippets, with the span marked


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_renders_offline_in_headless_chromium(outputs, tmp_path):
    spec, _ = outputs["parquet"]
    page = tmp_path / "report.html"
    page.write_text(build_report(spec), encoding="utf-8")
    png = tmp_path / "report.png"
    profile = tempfile.mkdtemp(dir=tmp_path)
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         f"--screenshot={png}", "--window-size=1280,1600", page.as_uri()],
        capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")[-500:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a page with text and charts, not a blank one
