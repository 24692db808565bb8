"""The evaluation harness, on hand-made pipelines whose scores are known."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
import spacy
from spacy.language import Language

import safeguard_nlp
from safeguard_nlp import cli
from safeguard_nlp.components.signals import register_extensions
from safeguard_nlp.evaluation.metrics import below_threshold, evaluate, format_report, read_records
from safeguard_nlp.schema import BOOL_SIGNALS, RISK_FACTORS, SIGNAL_FIELDS, empty_signals, normalise_signals

#: What the lookup pipeline predicts for each text (texts are unique to this module).
PREDICTIONS: Dict[str, Dict[str, Any]] = {}


@Language.component("sg_test_lookup_signals")
def lookup_signals(doc):
    doc._.signals = normalise_signals(PREDICTIONS.get(doc.text, {}))
    doc._.evidence = {field: [] for field in SIGNAL_FIELDS}
    return doc


@Language.component("sg_test_all_false_signals")
def all_false_signals(doc):
    doc._.signals = empty_signals()
    doc._.evidence = {field: [] for field in SIGNAL_FIELDS}
    return doc


def make_pipeline(component: str) -> Language:
    register_extensions()
    nlp = spacy.blank("en")
    nlp.add_pipe(component)
    return nlp


# Five records: (id, gold, predicted). Signals not named are false in both.
CASES = [
    ("r1",
     dict(injury=True, referral=True, missing_episode=True, risk_factors=["looked_after", "mental_health"], child_ages=[4, 7]),
     dict(injury=True, referral=True, risk_factors=["looked_after"], child_ages=[7, 4])),
    ("r2",
     dict(injury=True, referral=True),
     dict(referral=True, risk_factors=["online_contact"])),
    ("r3",
     dict(injury=True, risk_factors=["repeat_missing"], child_ages=[15]),
     dict(injury=True, referral=True, risk_factors=["repeat_missing"], child_ages=[14])),
    ("r4",
     dict(child_ages=[2, 2]),
     dict(injury=True, referral=True, child_ages=[2])),
    ("r5",
     dict(risk_factors=["health_needs"]),
     dict(risk_factors=["substance_misuse"])),
]
# Per signal:  injury   gold T T T F F / pred T F T T F -> tp 2, fp 1, fn 1, tn 1
#              referral gold T T F F F / pred T T T T F -> tp 2, fp 2, fn 0, tn 1
#              missing  gold T F F F F / pred F F F F F -> tp 0, fp 0, fn 1, tn 4
# Risk factors (micro): tp 2 (looked_after, repeat_missing), fp 2 (online_contact, substance_misuse),
#                       fn 2 (mental_health, health_needs), tn 45 - 6 = 39
# Ages right: r1, r2, r5 -> 3 / 5

EXPECTED_ERRORS = [
    ("r1", "missing_episode", True, False),
    ("r1", "risk_factors", ["looked_after", "mental_health"], ["looked_after"]),
    ("r2", "injury", True, False),
    ("r2", "risk_factors", [], ["online_contact"]),
    ("r3", "referral", False, True),
    ("r3", "child_ages", [15], [14]),
    ("r4", "injury", False, True),
    ("r4", "referral", False, True),
    ("r4", "child_ages", [2, 2], [2]),
    ("r5", "risk_factors", ["health_needs"], ["substance_misuse"]),
]


def text_of(rid: str) -> str:
    return f"hand-made evaluation record {rid}"


@pytest.fixture(scope="module")
def records() -> List[Dict[str, Any]]:
    out = []
    for rid, gold, pred in CASES:
        PREDICTIONS[text_of(rid)] = pred
        out.append({"id": rid, "source": "school", "text": text_of(rid), "labels": normalise_signals(gold)})
    return out


@pytest.fixture(scope="module")
def report(records):
    return evaluate(records, make_pipeline("sg_test_lookup_signals"))


def test_report_keys(report):
    assert set(report) == {"n", "signals", "risk_factors", "child_ages", "errors"}
    assert report["n"] == 5
    assert list(report["signals"]) == list(BOOL_SIGNALS)
    assert list(report["risk_factors"]) == list(RISK_FACTORS) + ["micro"]


def test_signal_scores(report):
    injury = report["signals"]["injury"]
    assert {k: injury[k] for k in ("tp", "fp", "fn", "tn", "support")} == {"tp": 2, "fp": 1, "fn": 1, "tn": 1, "support": 3}
    assert injury["precision"] == pytest.approx(2 / 3)
    assert injury["recall"] == pytest.approx(2 / 3)
    assert injury["f1"] == pytest.approx(2 / 3)

    referral = report["signals"]["referral"]
    assert {k: referral[k] for k in ("tp", "fp", "fn", "tn", "support")} == {"tp": 2, "fp": 2, "fn": 0, "tn": 1, "support": 2}
    assert referral["precision"] == pytest.approx(0.5)
    assert referral["recall"] == pytest.approx(1.0)
    assert referral["f1"] == pytest.approx(2 / 3)


def test_positive_signal_never_predicted(report):
    missing = report["signals"]["missing_episode"]
    assert (missing["tp"], missing["fp"], missing["fn"], missing["support"]) == (0, 0, 1, 1)
    assert missing["precision"] is None
    assert missing["recall"] == 0.0
    assert missing["f1"] == 0.0


def test_signal_with_no_gold_and_no_prediction(report):
    da = report["signals"]["domestic_abuse"]
    assert (da["tp"], da["fp"], da["fn"], da["tn"], da["support"]) == (0, 0, 0, 5, 0)
    assert da["precision"] is None and da["recall"] is None and da["f1"] is None


def test_risk_factor_scores(report):
    rf = report["risk_factors"]
    micro = rf["micro"]
    assert {k: micro[k] for k in ("tp", "fp", "fn", "tn", "support")} == {"tp": 2, "fp": 2, "fn": 2, "tn": 39, "support": 4}
    assert micro["precision"] == pytest.approx(0.5)
    assert micro["recall"] == pytest.approx(0.5)
    assert micro["f1"] == pytest.approx(0.5)

    assert (rf["looked_after"]["precision"], rf["looked_after"]["recall"], rf["looked_after"]["f1"]) == (1.0, 1.0, 1.0)
    # gold but never predicted
    assert (rf["mental_health"]["precision"], rf["mental_health"]["recall"], rf["mental_health"]["f1"]) == (None, 0.0, 0.0)
    # predicted but never gold
    assert (rf["online_contact"]["precision"], rf["online_contact"]["recall"], rf["online_contact"]["f1"]) == (0.0, None, 0.0)
    assert rf["online_contact"]["support"] == 0
    assert (rf["sexual_exploitation"]["f1"], rf["sexual_exploitation"]["tn"]) == (None, 5)


def test_child_ages_exact_match(report):
    assert report["child_ages"] == {"exact_match": pytest.approx(0.6), "correct": 3, "n": 5}


def test_errors(report):
    got = [(e["id"], e["signal"], e["gold"], e["predicted"]) for e in report["errors"]]
    assert got == EXPECTED_ERRORS
    assert all(e["evidence"] == [] for e in report["errors"])


def test_below_threshold(report):
    assert below_threshold(report, 0.0) == []
    assert below_threshold(report, 0.6) == ["missing_episode", "risk_factors (micro)"]
    assert below_threshold(report, 0.7) == ["injury", "missing_episode", "referral", "risk_factors (micro)"]


def test_below_threshold_ignores_signals_without_support(records):
    # All-false gold: nothing has support, so no F1 can fail, whatever the predictions.
    quiet = [dict(r, labels=empty_signals()) for r in records]
    rep = evaluate(quiet, make_pipeline("sg_test_lookup_signals"))
    assert rep["signals"]["referral"]["fp"] == 4
    assert below_threshold(rep, 0.99) == []


def row(text: str, name: str) -> List[str]:
    for line in text.splitlines():
        if line.split() and line.split()[0] == name:
            return line.split()[1:]
    raise AssertionError(f"no row {name!r} in the report")


def test_format_report(report):
    text = format_report(report)
    assert text.splitlines()[0] == "records: 5"
    assert row(text, "injury") == ["0.667", "0.667", "0.667", "3", "2", "1", "1"]
    assert row(text, "referral") == ["0.500", "1.000", "0.667", "2", "2", "2", "0"]
    assert row(text, "missing_episode") == ["-", "0.000", "0.000", "1", "0", "0", "1"]
    assert row(text, "domestic_abuse") == ["-", "-", "-", "0", "0", "0", "0"]
    assert row(text, "risk_factors.micro") == ["0.500", "0.500", "0.500", "4", "2", "2", "2"]
    assert row(text, "risk_factors.online_contact") == ["0.000", "-", "0.000", "0", "0", "1", "0"]
    assert "child_ages exact match: 0.600 (3/5)" in text
    assert "errors:" not in text


def test_format_report_with_errors(report):
    text = format_report(report, errors=True)
    assert "errors: 10" in text
    assert "- r3 child_ages: gold=[15] predicted=[14]" in text
    assert "- r1 missing_episode: gold=true predicted=false" in text
    assert '- r5 risk_factors: gold=["health_needs"] predicted=["substance_misuse"]' in text


def test_all_false_pipeline(records):
    rep = evaluate(records, make_pipeline("sg_test_all_false_signals"))
    injury = rep["signals"]["injury"]
    assert (injury["tp"], injury["fp"], injury["fn"], injury["support"]) == (0, 0, 3, 3)
    assert injury["recall"] == 0.0
    assert injury["precision"] is None
    assert injury["f1"] == 0.0
    assert rep["risk_factors"]["micro"]["recall"] == 0.0
    assert rep["risk_factors"]["micro"]["precision"] is None
    assert rep["child_ages"]["correct"] == 2  # r2 and r5 have no ages
    assert "injury" in below_threshold(rep, 0.5)


def test_public_evaluate_is_the_harness(records, report):
    assert safeguard_nlp.evaluate(records, make_pipeline("sg_test_lookup_signals")) == report


def test_empty_record_list():
    rep = evaluate([], make_pipeline("sg_test_all_false_signals"))
    assert rep["n"] == 0
    assert rep["child_ages"]["exact_match"] is None
    assert rep["errors"] == []
    assert below_threshold(rep, 0.9) == []


def test_read_records_skips_blank_lines(tmp_path, records, write_jsonl):
    path = write_jsonl(tmp_path / "dev.jsonl", [records[0], "", "   ", records[1]])
    assert read_records(path) == records[:2]


# -- the command, on the real saved pipeline -----------------------------------
# Exit status and JSON shape only: the records are chosen so the outcome does not
# depend on how accurate the rules are.

NEUTRAL_TEXT = "The shop on the corner was closed for the afternoon and the weather stayed dry."


def all_true_labels():
    return normalise_signals({name: True for name in BOOL_SIGNALS} | {"child_voice": False, "child_ages": [5]})


@pytest.fixture
def cli_file(tmp_path, write_jsonl):
    def make(labels):
        return str(write_jsonl(tmp_path / "mini.jsonl",
                               [{"id": "cli-001", "source": "school", "text": NEUTRAL_TEXT, "labels": labels}]))
    return make


def test_cli_evaluate_json(cli_file, capsys):
    path = cli_file(empty_signals())
    assert cli.main(["evaluate", path, "--json"]) == 0
    out, _ = capsys.readouterr()
    rep = json.loads(out)
    assert set(rep) == {"n", "signals", "risk_factors", "child_ages"}
    assert rep["n"] == 1
    assert set(rep["signals"]) == set(BOOL_SIGNALS)
    assert set(rep["risk_factors"]) == set(RISK_FACTORS) | {"micro"}


def test_cli_evaluate_json_with_errors(cli_file, capsys):
    path = cli_file(all_true_labels())
    assert cli.main(["evaluate", path, "--json", "--errors"]) == 0  # no --min-f1: no gate
    rep = json.loads(capsys.readouterr().out)
    assert "errors" in rep
    assert {e["id"] for e in rep["errors"]} == {"cli-001"}


def test_cli_evaluate_min_f1_fails(cli_file, capsys):
    # Gold says everything is present in a text that holds none of it: F1 cannot reach 0.99.
    path = cli_file(all_true_labels())
    assert cli.main(["evaluate", path, "--min-f1", "0.99"]) == 1
    out, err = capsys.readouterr()
    assert "F1 below 0.99:" in err
    assert "records: 1" in out


def test_cli_evaluate_min_f1_passes_without_support(cli_file, capsys):
    # All-false gold: no signal has support, so the gate cannot fail.
    path = cli_file(empty_signals())
    assert cli.main(["evaluate", path, "--min-f1", "0.99"]) == 0
    _, err = capsys.readouterr()
    assert "F1 below" not in err
