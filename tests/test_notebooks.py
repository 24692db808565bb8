"""The notebooks run top to bottom on a fresh install, and their key cells show what they claim.

Each notebook is executed with nbclient in a kernel started from this
interpreter (the test's venv, checked by a cell appended here), with its
outputs written to a temporary folder. Key cells are tagged (cell metadata
``tags``); their outputs are checked against figures computed here
independently, from the scan output the notebook wrote or by re-running the
evaluation.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Dict, List

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01_audit_walkthrough.ipynb", "02_data_scientist_quickstart.ipynb"]
KERNEL = "safeguard-nlp-test"


def _kernel_manager(where: Path) -> KernelManager:
    """A kernel of *this* interpreter, whatever kernelspecs the machine has installed."""
    spec_dir = where / "kernels" / KERNEL
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "safeguard-nlp tests", "language": "python",
    }), encoding="utf-8")
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir.parent)]))


_CACHE: Dict[str, Any] = {}


@pytest.fixture(scope="module")
def run_notebook(tmp_path_factory):
    """``run_notebook(name)``: the executed notebook and its output folder (each notebook run once)."""
    out = tmp_path_factory.mktemp("notebooks")

    def run(name: str):
        if name not in _CACHE:
            nb = nbformat.read(NOTEBOOKS / name, as_version=4)
            nb.cells.append(nbformat.v4.new_code_cell("import sys; print('KERNEL-PYTHON', sys.executable)",
                                                      metadata={"tags": ["kernel-python"]}))
            folder = out / name.split(".")[0]
            folder.mkdir()
            env = {"SAFEGUARD_NOTEBOOK_OUT": str(folder), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
            saved = {k: os.environ.get(k) for k in env}
            os.environ.update(env)  # the kernel inherits this process's environment
            try:
                NotebookClient(nb, km=_kernel_manager(out), timeout=240,
                               resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            _CACHE[name] = (nb, folder)
        return _CACHE[name]

    yield run
    _CACHE.clear()


def tagged(nb, tag: str):
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def text_of(cell) -> str:
    parts: List[str] = []
    for o in cell.outputs:
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            parts.append(o.data.get("text/plain", ""))
            parts.append(o.data.get("text/html", ""))
    return "\n".join(parts)


def images(cell) -> int:
    return sum(1 for o in cell.outputs if o.output_type in ("execute_result", "display_data") and "image/png" in o.data)


def test_committed_notebooks_are_clean():
    """Outputs stay out of git: committed notebooks hold code and prose only."""
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{name}: a cell has saved outputs"
        assert (NOTEBOOKS / name).stat().st_size < 60_000


def test_kernel_is_this_interpreter(run_notebook):
    nb, _ = run_notebook(NAMES[1])
    line = [l for l in text_of(tagged(nb, "kernel-python")).splitlines() if l.startswith("KERNEL-PYTHON")][0]
    assert Path(line.split(" ", 1)[1].strip()).resolve() == Path(sys.executable).resolve()


def test_audit_walkthrough(run_notebook):
    import pandas as pd

    nb, out = run_notebook(NAMES[0])
    # the scan covers the first quarter of the demo records
    demo = pd.read_csv(ROOT / "corpora" / "demo" / "incidents.csv", dtype={"id": str})
    quarter = demo[(demo.date >= "2024-01-01") & (demo.date.str[:10] <= "2024-03-31")]
    scan = pd.read_parquet(out / "demo_scan.parquet")
    assert sorted(scan.id) == sorted(quarter.id)
    assert f"Scanned {len(quarter)} records" in text_of(tagged(nb, "scan"))

    # headline figures, computed here from the scan output
    ok = scan[scan.status == "ok"]
    dac = ok[ok.domestic_abuse & ok.children_present]
    cp = ok[ok.children_present]
    miss = ok[ok.missing_episode]
    with_risk = int(sum(len(r) > 0 for r in miss.risk_factors))
    headline = text_of(tagged(nb, "headline"))
    assert len(dac) > 20 and len(miss) > 20
    assert f"Records scanned: {len(scan)} ({len(ok)} analysed" in headline
    assert (f"Domestic-abuse incidents with children present: {len(dac)}. The child's voice is recorded in "
            f"{int(dac.child_voice.sum())} of them") in headline
    assert f"{int(dac.referral.sum())} record a referral" in headline
    assert f"Records with children present: {len(cp)}; {int(cp.lacks_child_voice.sum())} of them" in headline
    assert f"Missing-child episodes: {len(miss)}; {with_risk} of them" in headline
    assert f"recorded in {int(ok.child_injury.sum())} records, of {int(ok.injury.sum())} records of an injury" in headline

    looked_after = int(sum("looked_after" in r for r in miss.risk_factors))
    assert re.search(rf"Looked after\s+{looked_after}\s", text_of(tagged(nb, "risk-table"))), "risk factor table"
    for tag in ("risk-chart", "chart-source", "chart-month"):
        assert images(tagged(nb, tag)) == 1, f"{tag}: no chart"
    assert "police_da" in text_of(tagged(nb, "chart-source"))  # the source joined back on id

    lacking = text_of(tagged(nb, "lacking-list"))
    assert f"{len(dac) - int(dac.child_voice.sum())} domestic-abuse incidents with children present do not record" in lacking

    # displaCy: three records, every evidence span labelled accepted or set aside
    cell = tagged(nb, "displacy")
    html = [o.data["text/html"] for o in cell.outputs if o.output_type == "display_data" and "text/html" in o.data]
    assert len(html) == 3
    assert all("spans" in h and "\u2713" in h for h in html) and any("\u2717" in h for h in html)
    assert "CHILD \u2713" in html[0] and "RISK: " in html[1]

    # the drill-down shows spans set aside as negated, hypothetical and about an adult
    drill = text_of(tagged(nb, "drilldown"))
    for word in ("negated", "hypothetical", "adult", "\u2717", "\u2713"):
        assert word in drill, word
    explained = text_of(tagged(nb, "explain"))
    assert "lacks_child_voice = " in explained and "set aside:" in explained

    # the HTML report, with the same headline figure
    assert "Wrote audit_report.html" in text_of(tagged(nb, "report"))
    report = (out / "audit_report.html").read_text(encoding="utf-8")
    assert f"{int(dac.child_voice.sum())} of {len(dac)} domestic-abuse incidents with children present" in report
    assert "<script" not in report.lower()


def test_data_scientist_quickstart(run_notebook, nlp):
    import safeguard_nlp
    from safeguard_nlp.batch.rows import COLUMNS
    from safeguard_nlp.evaluation import format_report, read_records

    nb, _ = run_notebook(NAMES[1])
    assert "'lacks_child_voice': False" in text_of(tagged(nb, "explain"))
    assert f"300 rows, {len(COLUMNS)} columns" in text_of(tagged(nb, "frame"))
    assert "police_da" in text_of(tagged(nb, "rates"))
    assert "evidence spans over" in text_of(tagged(nb, "spans"))

    report = safeguard_nlp.evaluate(read_records(ROOT / "corpora" / "dev.jsonl"), nlp)
    assert format_report(report).strip() in text_of(tagged(nb, "evaluation"))
    assert images(tagged(nb, "f1-chart")) == 1
    errors = report["errors"]
    assert f"{len(errors)} errors over {len({e['id'] for e in errors})} of {report['n']} records" in \
        text_of(tagged(nb, "errors"))
    assert "Rules behind false positives" in text_of(tagged(nb, "fp-fn"))
