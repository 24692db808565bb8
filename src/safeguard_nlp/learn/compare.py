"""Rules, model and combined, side by side per signal: the table behind every decision rule."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..evaluation.metrics import scores_of
from ..schema import BOOL_SIGNALS, CORE_SIGNALS, RISK_FACTORS
from .decide import DERIVED, RF_PREFIX, TARGETS, apply_decisions, rules_value

COLUMNS = ("rules", "model", "combined")
Record = Dict[str, Any]


def prf(gold: Sequence[bool], pred: Sequence[bool]) -> Dict[str, Any]:
    """Precision, recall, F1 and counts, as ``evaluation.metrics`` computes them (None where undefined)."""
    g = np.asarray(gold, dtype=bool)
    p = np.asarray(pred, dtype=bool)
    tp, fp, fn = int((g & p).sum()), int((~g & p).sum()), int((g & ~p).sum())
    tn = int(len(g) - tp - fp - fn)
    return scores_of({"tp": tp, "fp": fp, "fn": fn, "tn": tn})


def f1_of(gold: Sequence[bool], pred: Sequence[bool]) -> float:
    return prf(gold, pred)["f1"] or 0.0


def gold_value(labels: Mapping[str, Any], target: str) -> bool:
    return rules_value(labels, target)


def compare_outputs(labels: Sequence[Mapping[str, Any]], signals: Sequence[Mapping[str, Any]],
                    evidence: Sequence[Mapping[str, Any]], probs: Mapping[str, np.ndarray],
                    manifest_targets: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    """The side-by-side report from the rules' outputs and the model probabilities of a set of records.

    ``model`` is each model alone at the threshold chosen for it on dev;
    ``combined`` is what the scored pipeline outputs (the decision rule of
    each target, then the derived ``lacks_child_voice``).
    """
    n = len(labels)
    decisions = {t: info["decision"] for t, info in manifest_targets.items()}
    combined = []
    for i in range(n):
        row = {t: float(probs[t][i]) for t in probs}
        combined.append(apply_decisions(signals[i], evidence[i], row, decisions)[0])
    rows: Dict[str, Dict[str, Any]] = {}
    for target in TARGETS:
        if target not in manifest_targets:
            continue
        info = manifest_targets[target]
        gold = [gold_value(l, target) for l in labels]
        threshold = info.get("thresholds", {}).get("model")
        model = [threshold is not None and float(probs[target][i]) >= threshold for i in range(n)]
        rows[target] = {
            "rules": prf(gold, [rules_value(s, target) for s in signals]),
            "model": prf(gold, model),
            "combined": prf(gold, [rules_value(c, target) for c in combined]),
            "decision": info["decision"]["rule"],
            "threshold": info["decision"].get("threshold"),
            "model_threshold": threshold,
        }
    micro = {}
    for col in COLUMNS:
        counts = {k: sum(rows[RF_PREFIX + c][col][k] for c in RISK_FACTORS if RF_PREFIX + c in rows) for k in ("tp", "fp", "fn", "tn")}
        micro[col] = _from_counts(counts)
    return {"n": n, "targets": rows, "risk_factors_micro": micro}


def _from_counts(c: Mapping[str, int]) -> Dict[str, Any]:
    gold = [True] * (c["tp"] + c["fn"]) + [False] * (c["fp"] + c["tn"])
    pred = [True] * c["tp"] + [False] * c["fn"] + [True] * c["fp"] + [False] * c["tn"]
    return prf(gold, pred)


def compare(records: Sequence[Record], nlp, models, *, batch_size: int = 256) -> Dict[str, Any]:
    """Run the rules (``nlp``, any scores component disabled) and ``models`` on gold records; see :func:`compare_outputs`."""
    from .train import rules_outputs

    records = list(records)
    texts, signals, evidence = rules_outputs(nlp, [r["text"] for r in records], batch_size=batch_size)
    probs = predict_in_batches(models, texts, signals, evidence, batch_size=batch_size)
    return compare_outputs([r["labels"] for r in records], signals, evidence, probs, models.manifest["targets"])


def predict_in_batches(models, texts, signals, evidence, *, batch_size: int = 256) -> Dict[str, np.ndarray]:
    parts: List[Dict[str, np.ndarray]] = []
    for start in range(0, len(texts), batch_size):
        end = start + batch_size
        parts.append(models.predict(texts[start:end], signals[start:end], evidence[start:end]))
    if not parts:
        return {t: np.zeros(0) for t in models.targets}
    return {t: np.concatenate([p[t] for p in parts]) for t in models.targets}


def _fmt(x: Optional[float]) -> str:
    return "    -" if x is None else f"{x:.3f}"


def format_compare(report: Mapping[str, Any], *, title: str = "") -> str:
    """A plain-text table: per signal, F1 (precision/recall) of rules, model and combined, and the decision rule."""
    head = f"{'signal':<34}{'support':>8}  {'rules P/R/F1':>17}  {'model P/R/F1':>17}  {'combined P/R/F1':>17}  decision"
    lines = [title] if title else []
    lines += [f"records: {report['n']}", "", head]

    def cell(s: Mapping[str, Any]) -> str:
        return f"{_fmt(s['precision'])}/{_fmt(s['recall'])}/{_fmt(s['f1'])}"

    def row(name: str, r: Mapping[str, Any]) -> str:
        rule = r["decision"]
        if rule not in ("rules", DERIVED):
            rule = f"{rule} (p >= {r['threshold']:g})"
        mark = ""
        if r["combined"]["f1"] is not None and r["rules"]["f1"] is not None:
            delta = r["combined"]["f1"] - r["rules"]["f1"]
            mark = f"  {delta:+.3f}" if abs(delta) > 1e-9 else ""
        return f"{name:<34}{r['rules']['support']:>8}  {cell(r['rules']):>17}  {cell(r['model']):>17}  {cell(r['combined']):>17}  {rule}{mark}"

    for name in BOOL_SIGNALS:
        if name in report["targets"]:
            lines.append(row(name, report["targets"][name]))
    lines.append("")
    for cat in RISK_FACTORS:
        if RF_PREFIX + cat in report["targets"]:
            lines.append(row(RF_PREFIX + cat, report["targets"][RF_PREFIX + cat]))
    micro = report["risk_factors_micro"]
    lines.append(f"{'risk_factors.micro':<34}{micro['rules']['support']:>8}  {cell(micro['rules']):>17}  "
                 f"{cell(micro['model']):>17}  {cell(micro['combined']):>17}")
    lines += ["", "model: the model alone at its dev-chosen threshold; combined: the scored pipeline's output "
              "(decision rule per signal, chosen on dev; the last number is combined F1 minus rules F1)"]
    return "\n".join(lines)


def combined_below(report: Mapping[str, Any], min_f1: float) -> List[str]:
    """Core signals (and risk factors, micro) whose combined F1 is under ``min_f1``."""
    failing = [name for name in CORE_SIGNALS if name in report["targets"]
               and report["targets"][name]["combined"]["support"] > 0
               and (report["targets"][name]["combined"]["f1"] or 0.0) < min_f1]
    micro = report["risk_factors_micro"]["combined"]
    if micro["support"] and (micro["f1"] or 0.0) < min_f1:
        failing.append("risk_factors (micro)")
    return failing


def rounded(report: Any, digits: int = 6) -> Any:
    """The report with floats rounded (for a byte-stable manifest)."""
    if isinstance(report, float):
        return round(report, digits)
    if isinstance(report, dict):
        return {k: rounded(v, digits) for k, v in report.items()}
    if isinstance(report, (list, tuple)):
        return [rounded(v, digits) for v in report]
    return report


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(rounded(dict(report)), indent=2)
