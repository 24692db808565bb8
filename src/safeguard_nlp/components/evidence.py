"""Plain-data evidence items, shared by the voice and signals components."""

from __future__ import annotations

from typing import Any, Dict, Optional

from spacy.tokens import Span


def evidence_item(span: Span, ctx: Dict[str, Any], accepted: bool, reason: str, **extra: Any) -> Dict[str, Any]:
    """One span as evidence: what it is, which rule found it, its context, and the verdict."""
    item: Dict[str, Any] = {
        "label": span.label_,
        "category": span.kb_id_ or None,
        "rule": span.id_,
        "start": span.start_char,
        "end": span.end_char,
        "text": span.text,
        "negated": ctx["negated"],
        "hypothetical": ctx["hypothetical"],
        "historical": ctx["historical"],
        "subject": ctx["subject"],
        "subject_at": _subject_at(span, ctx.get("subject_span")),
        "cues": list(ctx["cues"]),
        "accepted": accepted,
        "reason": reason,
    }
    item.update(extra)
    return item


def _subject_at(span: Span, tokens: Optional[Any]) -> Optional[Dict[str, int]]:
    """Character offsets of the person mention a span was judged to be about."""
    if not tokens:
        return None
    start, end = tokens
    if end <= start:
        who = span.doc[start:end]
        return {"start": who.start_char, "end": who.end_char}
    # (Two tokens are cheaper to make than a Span.)
    first, last = span.doc[start], span.doc[end - 1]
    return {"start": first.idx, "end": last.idx + len(last.text)}


def rejection(ctx: Dict[str, Any], *, historical_counts: bool = False, absent_counts: bool = True) -> Optional[str]:
    """Why a span's context rules it out, or None when it stands."""
    if ctx["negated"]:
        return "negated"
    if ctx["hypothetical"]:
        return "hypothetical or only planned"
    if ctx["historical"] and not historical_counts:
        return "historical"
    if ctx.get("absent") and not absent_counts:
        return "not present"
    if ctx.get("excluded"):
        return "excluded by context (e.g. a service that is not children's social care)"
    return None
