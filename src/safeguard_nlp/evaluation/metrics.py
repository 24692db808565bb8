"""Precision, recall and F1 per signal, risk factors per category, age exact match.

``evaluate`` takes gold records (SIGNALS.md JSON Lines format) and any
pipeline that sets ``doc._.signals``, so the harness can be tested with
small hand-made pipelines whose scores are known.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Union

from spacy.language import Language

from ..schema import BOOL_SIGNALS, CORE_SIGNALS, RISK_FACTORS

Record = Dict[str, Any]


def read_records(path: Union[str, Path]) -> List[Record]:
    """Read a JSON Lines corpus file, skipping blank lines."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _counts() -> Dict[str, int]:
    return {"tp": 0, "fp": 0, "fn": 0, "tn": 0}


def scores_of(c: Dict[str, int]) -> Dict[str, Any]:
    """Precision, recall, F1 (None where undefined) and support from tp/fp/fn counts."""
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    if precision is None and recall is None:
        f1 = None
    elif not precision or not recall:
        f1 = 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall)
    return {**c, "precision": precision, "recall": recall, "f1": f1, "support": tp + fn}


def _tally(counts: Dict[str, int], gold: bool, pred: bool) -> None:
    counts["tp" if gold and pred else "fn" if gold else "fp" if pred else "tn"] += 1


def evaluate(records: Iterable[Record], nlp: Optional[Language] = None, *, batch_size: int = 256) -> Dict[str, Any]:
    """Score ``nlp`` (the saved pipeline by default) on gold ``records``.

    Returns ``{"n", "signals", "risk_factors", "child_ages", "errors"}``;
    every error names the record, the signal, gold and predicted values and
    the evidence behind the prediction.
    """
    from ..api import annotate

    records = list(records)
    if nlp is None:
        from ..api import default_nlp

        nlp = default_nlp()
    signal_counts = {name: _counts() for name in BOOL_SIGNALS}
    rf_counts = {cat: _counts() for cat in RISK_FACTORS}
    ages_right = 0
    errors: List[Dict[str, Any]] = []
    results = annotate((r["text"] for r in records), nlp, batch_size=batch_size)
    for record, result in zip(records, results):
        gold, pred, evidence = record["labels"], result["signals"], result["evidence"]
        for name in BOOL_SIGNALS:
            g, p = bool(gold[name]), bool(pred[name])
            _tally(signal_counts[name], g, p)
            if g != p:
                errors.append({"id": record["id"], "signal": name, "gold": g, "predicted": p, "evidence": evidence.get(name, [])})
        gold_rf, pred_rf = set(gold["risk_factors"]), set(pred["risk_factors"])
        for cat in RISK_FACTORS:
            _tally(rf_counts[cat], cat in gold_rf, cat in pred_rf)
        if gold_rf != pred_rf:
            errors.append({"id": record["id"], "signal": "risk_factors", "gold": sorted(gold_rf), "predicted": sorted(pred_rf),
                           "evidence": evidence.get("risk_factors", [])})
        if sorted(gold["child_ages"]) == sorted(pred["child_ages"]):
            ages_right += 1
        else:
            errors.append({"id": record["id"], "signal": "child_ages", "gold": sorted(gold["child_ages"]),
                           "predicted": sorted(pred["child_ages"]), "evidence": evidence.get("child_ages", [])})
    micro = _counts()
    for c in rf_counts.values():
        for k in micro:
            micro[k] += c[k]
    n = len(records)
    return {
        "n": n,
        "signals": {name: scores_of(c) for name, c in signal_counts.items()},
        "risk_factors": {**{cat: scores_of(c) for cat, c in rf_counts.items()}, "micro": scores_of(micro)},
        "child_ages": {"exact_match": ages_right / n if n else None, "correct": ages_right, "n": n},
        "errors": errors,
    }


def below_threshold(report: Dict[str, Any], min_f1: float) -> List[str]:
    """Core signals (and risk factors, micro) whose F1 is under ``min_f1``."""
    failing = [name for name in CORE_SIGNALS if (report["signals"][name]["f1"] or 0.0) < min_f1
               and report["signals"][name]["support"] > 0]
    if report["risk_factors"]["micro"]["support"] and (report["risk_factors"]["micro"]["f1"] or 0.0) < min_f1:
        failing.append("risk_factors (micro)")
    return failing


def _fmt(x: Optional[float]) -> str:
    return "   -" if x is None else f"{x:.3f}"


def format_report(report: Dict[str, Any], *, errors: bool = False) -> str:
    """A plain-text table (and, on request, the errors with their evidence)."""
    lines = [f"records: {report['n']}", "", f"{'signal':<34}{'prec':>7}{'recall':>8}{'f1':>7}{'support':>9}{'tp':>5}{'fp':>5}{'fn':>5}"]

    def row(name: str, s: Dict[str, Any]) -> str:
        return f"{name:<34}{_fmt(s['precision']):>7}{_fmt(s['recall']):>8}{_fmt(s['f1']):>7}{s['support']:>9}{s['tp']:>5}{s['fp']:>5}{s['fn']:>5}"

    for name, s in report["signals"].items():
        lines.append(row(name, s))
    lines.append("")
    for cat, s in report["risk_factors"].items():
        lines.append(row(f"risk_factors.{cat}", s))
    ages = report["child_ages"]
    lines += ["", f"child_ages exact match: {_fmt(ages['exact_match'])} ({ages['correct']}/{ages['n']})"]
    if errors:
        lines += ["", f"errors: {len(report['errors'])}"]
        for err in report["errors"]:
            lines.append(f"- {err['id']} {err['signal']}: gold={json.dumps(err['gold'])} predicted={json.dumps(err['predicted'])}")
            for item in err["evidence"]:
                where = f"[{item['start']}:{item['end']}]" if "start" in item else ""
                cues = ", ".join(f"{c['type']}:{c['rule']}" for c in item.get("cues", []))
                lines.append(
                    f"    {'+' if item['accepted'] else '-'} {item['label']}{'/' + item['category'] if item.get('category') else ''} "
                    f"{where} rule={item['rule']} subject={item.get('subject', '-')} {item['reason']}{' cues=' + cues if cues else ''}"
                )
    return "\n".join(lines)
