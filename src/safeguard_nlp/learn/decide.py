"""Decision rules: how the rules' verdict and a model's probability make a signal.

Per target (a boolean signal, or ``risk_factors.<category>``) the trainer
chose on dev one of:

``rules``   the rules alone (the model only reports its probability);
``model``   probability >= threshold;
``or``      the rules, or probability >= a high threshold;
``and``     the rules, and probability >= a low threshold (the model can veto).

``lacks_child_voice`` is always derived (children present and no voice), and
an injury to a child is an injury. Wherever the model takes part, evidence
gets an item labelled ``MODEL`` (rule ``model.<target>``) with the
probability, the threshold and the rules' own verdict, so an auditor sees
when the model changed the decision. "Takes part" means the model could
change the outcome: always under ``model``, when the rules say false under
``or``, when they say true under ``and``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..schema import BOOL_SIGNALS, RISK_FACTORS

DECISION_RULES = ("rules", "model", "or", "and")
#: Preference among equally good rules on dev: the most explainable first.
PREFERENCE = ("rules", "and", "or", "model")
DERIVED = "derived"
RF_PREFIX = "risk_factors."

#: Every target a bundle scores, in a fixed order.
TARGETS: Tuple[str, ...] = tuple(BOOL_SIGNALS) + tuple(RF_PREFIX + c for c in RISK_FACTORS)
#: Targets whose decision is never the model's: derived from others.
DERIVED_TARGETS = frozenset({"lacks_child_voice"})


def vote(rule: str, rules_value: bool, p: float, threshold: Optional[float]) -> bool:
    """The decision of ``rule`` given the rules' verdict and the probability."""
    if rule in ("rules", DERIVED):
        return bool(rules_value)
    hit = threshold is not None and p >= threshold
    if rule == "model":
        return hit
    if rule == "or":
        return bool(rules_value) or hit
    if rule == "and":
        return bool(rules_value) and hit
    raise ValueError(f"unknown decision rule {rule!r} (expected one of {', '.join(DECISION_RULES)})")


def rules_value(signals: Mapping[str, Any], target: str) -> bool:
    if target.startswith(RF_PREFIX):
        return target[len(RF_PREFIX):] in (signals.get("risk_factors") or ())
    return bool(signals.get(target))


def scores_dict(probs: Mapping[str, float]) -> Dict[str, Any]:
    """``doc._.scores``: a float per boolean signal, and ``risk_factors`` as {category: float}."""
    out: Dict[str, Any] = {name: float(probs[name]) for name in BOOL_SIGNALS if name in probs}
    out["risk_factors"] = {c: float(probs[RF_PREFIX + c]) for c in RISK_FACTORS if RF_PREFIX + c in probs}
    return out


def _yes(value: bool) -> str:
    return "true" if value else "false"


def model_item(target: str, rule: str, p: float, threshold: float, before: bool, after: bool) -> Dict[str, Any]:
    """The evidence item recording the model's part in a decision."""
    category = target[len(RF_PREFIX):] if target.startswith(RF_PREFIX) else None
    how = {"model": "the model decides", "or": "rules, or the model above its threshold",
           "and": "rules, confirmed by the model above its threshold"}[rule]
    change = f"changed the decision from {_yes(before)} to {_yes(after)}" if before != after else f"decision {_yes(after)} as the rules"
    return {
        "label": "MODEL", "category": category, "rule": f"model.{target}",
        "probability": round(float(p), 6), "threshold": threshold, "value": round(float(p), 6),
        "decision_rule": rule, "rules_decision": before, "decision": after,
        "accepted": bool(p >= threshold),
        "reason": f"model probability {p:.3f} {'>=' if p >= threshold else '<'} {threshold:g} ({how}): {change}",
    }


def apply_decisions(signals: Mapping[str, Any], evidence: Mapping[str, List[Dict[str, Any]]],
                    probs: Mapping[str, float], decisions: Mapping[str, Mapping[str, Any]]) -> Tuple[Dict[str, Any], Dict[str, List[Dict[str, Any]]]]:
    """New (signals, evidence) after the decision rules; the inputs are not changed."""
    out = dict(signals)
    ev = dict(evidence)
    risk = set(signals.get("risk_factors") or ())
    for target, decision in decisions.items():
        rule = decision.get("rule", "rules")
        if rule in ("rules", DERIVED) or target not in probs:
            continue
        before = rules_value(signals, target)
        if (rule == "or" and before) or (rule == "and" and not before):
            continue  # the model has no say: rules true OR anything, rules false AND anything
        threshold = float(decision["threshold"])
        after = vote(rule, before, probs[target], threshold)
        field = "risk_factors" if target.startswith(RF_PREFIX) else target
        ev[field] = list(ev.get(field) or []) + [model_item(target, rule, probs[target], threshold, before, after)]
        if target.startswith(RF_PREFIX):
            (risk.add if after else risk.discard)(target[len(RF_PREFIX):])
        else:
            out[target] = after
    out["risk_factors"] = sorted(risk)
    if out.get("child_injury") and not out.get("injury"):
        out["injury"] = True
        ev["injury"] = list(ev.get("injury") or []) + [{
            "label": "DERIVED", "category": None, "rule": "scores.child_injury_implies_injury", "accepted": True,
            "reason": "an injury to a child is an injury",
        }]
    lacks = bool(out.get("children_present")) and not out.get("child_voice")
    if lacks != bool(signals.get("lacks_child_voice")) or out.get("children_present") != signals.get("children_present") \
            or out.get("child_voice") != signals.get("child_voice"):
        ev["lacks_child_voice"] = [{
            "label": "DERIVED", "rule": "signals.lacks_child_voice", "accepted": lacks,
            "reason": "children present and no voice recorded" if lacks
            else ("no child present" if not out.get("children_present") else "child's voice recorded"),
        }]
    out["lacks_child_voice"] = lacks
    return out, ev
