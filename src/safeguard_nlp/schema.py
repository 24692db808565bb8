"""The record-level signals of ``shared/SIGNALS.md``: names, types and defaults.

Everything that reads or writes signals (the pipeline, the corpus checker, the
evaluator, the scanner) takes its field list from here, so the contract lives
in one place.
"""

from __future__ import annotations

from typing import Any, Dict, List

RISK_FACTORS: tuple[str, ...] = (
    "repeat_missing",
    "sexual_exploitation",
    "criminal_exploitation",
    "substance_misuse",
    "mental_health",
    "risky_associates",
    "looked_after",
    "online_contact",
    "health_needs",
)

BOOL_SIGNALS: tuple[str, ...] = (
    "children_present",
    "injury",
    "child_injury",
    "missing_episode",
    "child_voice",
    "lacks_child_voice",
    "domestic_abuse",
    "referral",
)

#: Field order of a signals dict, as in SIGNALS.md.
SIGNAL_FIELDS: tuple[str, ...] = (
    "children_present",
    "injury",
    "child_injury",
    "missing_episode",
    "risk_factors",
    "child_voice",
    "lacks_child_voice",
    "domestic_abuse",
    "referral",
    "child_ages",
)

#: Signals whose F1 the ``--min-f1`` gate applies to.
CORE_SIGNALS: tuple[str, ...] = (
    "children_present",
    "injury",
    "child_injury",
    "missing_episode",
    "lacks_child_voice",
    "domestic_abuse",
    "referral",
)

SOURCES: tuple[str, ...] = (
    "police_da",
    "police_incident",
    "missing_report",
    "social_care",
    "school",
    "health",
)

SPAN_SUBJECTS: tuple[str, ...] = ("child", "adult", "unknown")


def empty_signals() -> Dict[str, Any]:
    """All-false signals: the answer for an empty or missing narrative."""
    out: Dict[str, Any] = {name: False for name in BOOL_SIGNALS}
    out["risk_factors"] = []
    out["child_ages"] = []
    return {name: out[name] for name in SIGNAL_FIELDS}


def normalise_signals(raw: Dict[str, Any]) -> Dict[str, Any]:
    """Return ``raw`` in canonical form: field order, sorted lists, derived flag."""
    out = empty_signals()
    for name in BOOL_SIGNALS:
        out[name] = bool(raw.get(name, False))
    out["risk_factors"] = sorted(set(raw.get("risk_factors") or []))
    out["child_ages"] = sorted(int(a) for a in (raw.get("child_ages") or []))
    out["lacks_child_voice"] = out["children_present"] and not out["child_voice"]
    return out


def validate_labels(labels: Any) -> List[str]:
    """Problems with one record's gold labels, as sentences (empty when valid)."""
    if not isinstance(labels, dict):
        return ["labels must be an object"]
    problems: List[str] = []
    missing = [f for f in SIGNAL_FIELDS if f not in labels]
    extra = [f for f in labels if f not in SIGNAL_FIELDS]
    if missing:
        problems.append(f"labels missing field(s): {', '.join(missing)}")
    if extra:
        problems.append(f"labels has unknown field(s): {', '.join(extra)}")
    for name in BOOL_SIGNALS:
        if name in labels and not isinstance(labels[name], bool):
            problems.append(f"{name} must be true or false, got {labels[name]!r}")
    rf = labels.get("risk_factors")
    if "risk_factors" in labels:
        if not isinstance(rf, list) or not all(isinstance(c, str) for c in rf):
            problems.append("risk_factors must be a list of category names")
        else:
            bad = [c for c in rf if c not in RISK_FACTORS]
            if bad:
                problems.append(f"unknown risk factor(s): {', '.join(bad)}")
            if rf != sorted(set(rf)):
                problems.append("risk_factors must be sorted and without repeats")
    ages = labels.get("child_ages")
    if "child_ages" in labels:
        if not isinstance(ages, list) or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in ages
        ):
            problems.append("child_ages must be a list of whole numbers")
        else:
            if ages != sorted(ages):
                problems.append("child_ages must be sorted")
            if any(a < 0 or a > 17 for a in ages):
                problems.append("child_ages must hold ages 0 to 17 only")
    if all(isinstance(labels.get(k), bool) for k in ("children_present", "child_voice", "lacks_child_voice")):
        expected = labels["children_present"] and not labels["child_voice"]
        if labels["lacks_child_voice"] != expected:
            problems.append(
                "lacks_child_voice must equal children_present and not child_voice "
                f"(expected {str(expected).lower()})"
            )
    if labels.get("child_injury") is True and labels.get("injury") is False:
        problems.append("child_injury is true but injury is false")
    return problems
