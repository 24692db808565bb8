"""Record-level signals of SIGNALS.md, each with the evidence that decided it.

Reads the spans, their context, the ages and the voice decision, and writes
``doc._.signals`` (the SIGNALS.md dict) and ``doc._.evidence`` (for each
signal, every span weighed: accepted ones and those discarded, with why).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..schema import SIGNAL_FIELDS, empty_signals
from .ages import ADULT_AGE
from .entities import DEFAULT_SPANS_KEY
from .context import blank_context
from .evidence import evidence_item, rejection

#: Missing-episode categories that count only beside another: a departure and a finding.
SUPPORTING_MISSING = frozenset({"absent", "left", "returned"})

#: How far (tokens) an act ("informed") may stand from the service it names ("MASH").
REFERRAL_ACT_WINDOW = 8

#: Who a domestic-abuse span may be about; a child under 16 cannot be a party.
DA_MIN_AGE = 16


@Language.factory("safeguard_signals", default_config={"spans_key": DEFAULT_SPANS_KEY})
def make_signals(nlp: Language, name: str, spans_key: str) -> "SignalBuilder":
    return SignalBuilder(name, spans_key=spans_key)


def register_extensions() -> None:
    """Plain-data Doc extensions: picklable, so ``nlp.pipe(n_process=2)`` works."""
    for ext in ("signals", "evidence"):
        if not Doc.has_extension(ext):
            Doc.set_extension(ext, default=None)


class SignalBuilder:
    def __init__(self, name: str, *, spans_key: str):
        self.name = name
        self.spans_key = spans_key
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        spans: List[Span] = list(doc.spans[self.spans_key])
        contexts: List[Dict[str, Any]] = doc._.sg_context or [blank_context() for _ in spans]
        by_label: Dict[str, List[Tuple[Span, Dict[str, Any]]]] = {}
        for span, ctx in zip(spans, contexts):
            by_label.setdefault(span.label_, []).append((span, ctx))

        evidence: Dict[str, List[Dict[str, Any]]] = {f: [] for f in SIGNAL_FIELDS}
        signals = empty_signals()

        ages, age_evidence = self._ages(doc)
        signals["child_ages"] = ages
        evidence["child_ages"] = age_evidence

        present = self._children_present(doc, by_label, evidence["children_present"])

        injuries = by_label.get("INJURY", [])
        assault = any(not c["negated"] for _, c in by_label.get("DA_VIOLENCE", [])) or any(
            s.kb_id_ != "pain" and rejection(c) is None for s, c in injuries
        )
        for span, ctx in injuries:
            reason = rejection(ctx)
            if reason is None and span.kb_id_ == "pain" and not assault:
                reason = "pain with no assault or injury recorded"
            evidence["injury"].append(evidence_item(span, ctx, reason is None, reason or "injury recorded"))
            if reason is None and ctx["subject"] == "child":
                evidence["child_injury"].append(evidence_item(span, ctx, True, "injury to a child"))
            elif reason is None:
                evidence["child_injury"].append(evidence_item(span, ctx, False, f"injury to {_who(ctx)}"))

        self._missing(by_label.get("MISSING", []), present, evidence["missing_episode"])

        for span, ctx in by_label.get("RISK_FACTOR", []):
            reason = rejection(ctx, historical_counts=True)
            if reason is None and ctx["subject"] == "adult":
                reason = "about an adult"
            if reason is None and ctx["subject"] == "unknown" and not present:
                reason = "no child in the record"
            evidence["risk_factors"].append(evidence_item(span, ctx, reason is None, reason or "risk factor of the child"))

        self._domestic_abuse(doc, by_label, evidence["domestic_abuse"])

        self._referral(by_label, evidence["referral"])

        voice = doc._.sg_voice or {"value": False, "evidence": []}
        evidence["child_voice"] = list(voice["evidence"])

        signals["children_present"] = present or any(
            i["accepted"] for key in ("child_injury", "missing_episode", "child_voice") for i in evidence[key]
        )
        signals["injury"] = any(i["accepted"] for i in evidence["injury"])
        signals["child_injury"] = any(i["accepted"] for i in evidence["child_injury"])
        signals["missing_episode"] = any(i["accepted"] for i in evidence["missing_episode"])
        signals["risk_factors"] = sorted({i["category"] for i in evidence["risk_factors"] if i["accepted"]})
        signals["child_voice"] = bool(voice["value"])
        signals["domestic_abuse"] = any(i["accepted"] for i in evidence["domestic_abuse"])
        signals["referral"] = any(i["accepted"] for i in evidence["referral"])
        signals["lacks_child_voice"] = signals["children_present"] and not signals["child_voice"]
        evidence["lacks_child_voice"] = [
            {"label": "DERIVED", "rule": "signals.lacks_child_voice", "accepted": signals["lacks_child_voice"],
             "reason": "children present and no voice recorded" if signals["lacks_child_voice"]
             else ("no child present" if not signals["children_present"] else "child's voice recorded")}
        ]
        doc._.signals = signals
        doc._.evidence = evidence
        return doc

    @staticmethod
    def _ages(doc: Doc) -> Tuple[List[int], List[Dict[str, Any]]]:
        values: List[int] = []
        items: List[Dict[str, Any]] = []
        seen = set()
        for age in doc._.sg_ages or []:
            who = age["name"] or (doc[age["person"][0] : age["person"][1]].text.lower() if age["person"] else None)
            for v in age["values"]:
                counted = v < ADULT_AGE
                key = (who, v)
                duplicate = who is not None and key in seen and len(age["values"]) == 1
                if counted and not duplicate:
                    values.append(v)
                    seen.add(key)
                items.append({
                    "label": "AGE", "category": None, "rule": age["rule"], "start": age["start"], "end": age["end"],
                    "text": doc.text[age["start"] : age["end"]], "value": v, "accepted": counted and not duplicate,
                    "reason": "adult (18 or over)" if not counted else ("same person's age again" if duplicate else "child's age"),
                })
        return sorted(values), items

    @staticmethod
    def _children_present(doc: Doc, by_label, items: List[Dict[str, Any]]) -> bool:
        """Is a child present? Each mention weighed, then mentions of the same child together.

        A child said to be elsewhere once ("the children were at school") is
        elsewhere in every mention of them; and once any child is said to be
        away, an unnamed mention counts only with a sign of presence
        ("present", "upstairs", "witnessed"), or a name of its own.
        """
        children = by_label.get("CHILD", [])
        unborn = any(s.kb_id_ == "unborn" for s, _ in by_label.get("NONCHILD", []))
        aged = {tuple(a["person"]) for a in doc._.sg_ages or [] if a["person"]}
        keys = [_child_key(doc, span) for span, _ in children]
        away = {k for k, (span, ctx) in zip(keys, children) if ctx["negated"] or ctx.get("absent")}
        present = False
        for key, (span, ctx) in zip(keys, children):
            reason = rejection(ctx, historical_counts=True, absent_counts=False)
            if reason is None and key in away:
                reason = "the same child is said to be elsewhere"
            if reason is None and unborn and span.kb_id_ == "baby" and (span.start, span.end) not in aged:
                reason = "an unborn baby"
            if reason is None and away and not ctx.get("present") and span.kb_id_ not in ("named", "age"):
                reason = "another mention places the children elsewhere; no sign this one was present"
            items.append(evidence_item(span, ctx, reason is None, reason or "child mentioned as present"))
            present = present or reason is None
        return present

    @staticmethod
    def _missing(spans, present: bool, items: List[Dict[str, Any]]) -> None:
        """A child missing now: a missing word, or a departure and a finding ("left home" ... "located")."""
        verdicts = []
        for span, ctx in spans:
            reason = rejection(ctx)
            if reason is None and ctx["subject"] == "adult":
                reason = "a missing adult"
            if reason is None and ctx["subject"] == "unknown" and not present:
                reason = "no child in the record"
            verdicts.append([span, ctx, reason])
        standing = {span.kb_id_ for span, _, reason in verdicts if reason is None}
        strong = "missing" in standing
        left_and_found = bool(standing & {"left", "absent"}) and "returned" in standing
        for v in verdicts:
            span, ctx, reason = v
            if reason is None and span.kb_id_ in SUPPORTING_MISSING and not strong and not left_and_found:
                reason = "absent, left or found alone is not a missing episode (whereabouts must be unknown)"
            items.append(evidence_item(span, ctx, reason is None, reason or "child missing"))

    @staticmethod
    def _referral(by_label, items: List[Dict[str, Any]]) -> None:
        """Shared with children's social care: an instrument ("PPN submitted", "strategy
        discussion"), or a CSC target ("MASH", "her SW") with an act beside it ("informed",
        "passed to") in the same clause."""
        acts = [(s, c) for s, c in by_label.get("REFERRAL_ACT", []) if rejection(c, historical_counts=True) is None]
        for span, ctx in by_label.get("REFERRAL", []):
            reason = rejection(ctx, historical_counts=True)
            act = None
            if reason is None and span.kb_id_ == "not_csc":
                reason = "a service that is not children's social care"
            elif reason is None and span.kb_id_ == "target":
                act = next((a for a, c in acts if c.get("clause") == ctx.get("clause")
                            and min(abs(a.start - span.end), abs(span.start - a.end)) <= REFERRAL_ACT_WINDOW), None)
                if act is None:
                    reason = "children's social care named, but nothing said to be shared with it"
            extra = {"act": {"text": act.text, "start": act.start_char, "end": act.end_char, "rule": act.id_}} if act is not None else {}
            items.append(evidence_item(span, ctx, reason is None, reason or "referral made", **extra))

    @staticmethod
    def _domestic_abuse(doc: Doc, by_label, items: List[Dict[str, Any]]) -> None:
        child_party = any(
            ctx["subject"] == "child" and not ctx["negated"] for _, ctx in by_label.get("DA_VIOLENCE", [])
        )
        partner = any(not ctx["negated"] for _, ctx in by_label.get("PARTNER", []))
        for span, ctx in by_label.get("DOMESTIC_ABUSE", []) + by_label.get("DA_VIOLENCE", []):
            reason = rejection(ctx)
            if reason is None and span.label_ == "DA_VIOLENCE" and not partner:
                reason = "violence with no partner or relative named"
            if reason is None and span.label_ == "DA_VIOLENCE" and ctx["subject"] == "child":
                reason = f"a child under {DA_MIN_AGE} is a party"
            if reason is None and child_party and not partner:
                reason = f"a child under {DA_MIN_AGE} is the abusive party"
            items.append(evidence_item(span, ctx, reason is None, reason or "domestic abuse"))


#: Words for "the children" as a group: one key, so absence of one is absence of all.
_GROUP_WORDS = frozenset({"children", "chn", "chldn", "kids", "kiddies", "siblings", "twins", "both", "young people", "children's", "childrens"})


def _child_key(doc: Doc, span: Span) -> str:
    """Which child a mention is of: a name, the group, or the word ("daughter Ava" is Ava)."""
    text = span.text.lower()
    if text in _GROUP_WORDS:
        return "*group"
    i = span.end
    while i < len(doc) and doc[i].text in ("(", ",", ":"):
        i += 1
    if i < len(doc) and doc[i].text[:1].isupper() and doc[i].is_alpha and i - span.end <= 1 and span.kb_id_ != "named":
        return doc[i].text.lower()
    return text


def _who(ctx: Dict[str, Any]) -> str:
    return {"adult": "an adult", "unknown": "someone not identified"}.get(ctx["subject"], ctx["subject"])


