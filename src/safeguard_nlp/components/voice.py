"""Does the record capture the child's own voice?

Voice is a child's words (speech and disclosure verbs whose speaker is a
child, quotes attributed to a child), feelings or wishes, or, for a baby or a
child who cannot speak, observed demeanour. "Spoken to" with nothing of what
was said, "asleep", "declined to speak" are not voice: the speech verbs they
contain are negated by context cues, or never matched. The decision and every
span weighed go to ``doc._.sg_voice``.
"""

from __future__ import annotations

from typing import Any, Dict, List

from spacy.language import Language
from spacy.tokens import Doc

from .context import REPORTING_WORDS
from .entities import DEFAULT_SPANS_KEY, skip_forward
from .evidence import evidence_item, rejection
from .spans import read_spans

PREVERBAL_CATEGORIES = frozenset({"baby", "nonverbal"})
#: Voice that an adult can pass on as their own view of the child ("mum says he likes the buses").
REPORTABLE_CATEGORIES = frozenset({"feeling", "wish"})
FIRST_PERSON = frozenset({"i", "i'm", "i've", "i'd", "i'll", "me", "my", "mine", "we", "us", "our", "you", "your", "'m"})
MIN_QUOTE_WORDS = 4


@Language.factory("safeguard_voice", default_config={"spans_key": DEFAULT_SPANS_KEY, "preverbal_max_age": 2})
def make_voice(nlp: Language, name: str, spans_key: str, preverbal_max_age: int) -> "ChildVoice":
    return ChildVoice(name, spans_key=spans_key, preverbal_max_age=preverbal_max_age)


class ChildVoice:
    def __init__(self, name: str, *, spans_key: str, preverbal_max_age: int):
        if preverbal_max_age < 0:
            raise ValueError(f"{name}: preverbal_max_age must be >= 0, got {preverbal_max_age}")
        self.name = name
        self.spans_key = spans_key
        self.preverbal_max_age = preverbal_max_age
        if not Doc.has_extension("sg_voice"):
            Doc.set_extension("sg_voice", default=None)

    def __call__(self, doc: Doc) -> Doc:
        spans = read_spans(doc, self.spans_key)
        contexts = doc._.sg_context or []
        preverbal = self._has_preverbal_child(doc, spans, contexts)
        nonverbal = any(s.label_ == "CHILD" and s.kb_id_ == "nonverbal" for s in spans)
        items: List[Dict[str, Any]] = []
        # Clauses in which an adult speaks: a child's feeling or wish inside one is the adult's account of it.
        speech = [(span.start, ctx["clause"], ctx["subject"]) for span, ctx in zip(spans, contexts)
                  if span.label_ == "VOICE" and span.kb_id_ == "speech" and not ctx["negated"]]
        adult_speech = [(start, clause) for start, clause, subject in speech if subject == "adult"]
        # "mum reports he is "withdrawn"": an adult followed by a reporting word speaks too.
        speech += [(span.end, ctx["clause"], "adult") for span, ctx in zip(spans, contexts)
                   if span.label_ == "ADULT" and span.end < len(doc) and doc[span.end].lower_ in REPORTING_WORDS]
        speech.sort(key=lambda s: s[0])
        for span, ctx in zip(spans, contexts):
            if span.label_ not in ("VOICE", "QUOTE", "DEMEANOUR"):
                continue
            reason = rejection(ctx, historical_counts=True)
            if (reason is None and span.kb_id_ in REPORTABLE_CATEGORIES
                    and any(start < span.start and clause == ctx.get("clause") for start, clause in adult_speech)):
                reason = "an adult's account of the child's feelings or wishes"
            if reason is None and span.label_ == "QUOTE" and ctx["subject"] == "child":
                said = [subject for start, clause, subject in speech if start < span.start and clause == ctx.get("clause")]
                if said and said[-1] == "adult":
                    # "Donna says Kayla is "fine really, just being a teenager"": the adult's words about the child.
                    reason = "an adult's words about the child"
            if reason is None and span.label_ == "DEMEANOUR" and ctx["subject"] == "unknown" and preverbal:
                pass
            elif reason is None and ctx["subject"] != "child":
                reason = f"about {'an adult' if ctx['subject'] == 'adult' else 'no identified child'}"
            if reason is None and span.kb_id_ == "quote" and not _is_speech(span):
                reason = "a short quoted phrase (a name or a word in quotes), not speech"
            if reason is None and span.label_ == "DEMEANOUR" and not preverbal:
                reason = "demeanour only counts for a baby or a child who cannot speak"
            elif reason is None and span.label_ == "DEMEANOUR" and not nonverbal and self._old_enough_to_speak(doc, ctx):
                # "Amira (4) quiet on mum's knee. Her brother (18 months) in the pram": the baby is not the one observed.
                reason = "demeanour of a child old enough to speak"
            items.append(evidence_item(span, ctx, reason is None, reason or "child's voice"))
        doc._.sg_voice = {"value": any(i["accepted"] for i in items), "evidence": items}
        return doc

    def _old_enough_to_speak(self, doc: Doc, ctx: Dict[str, Any]) -> bool:
        """The one whose demeanour it is has a stated age above ``preverbal_max_age``."""
        who = ctx.get("subject_span")
        if not who:
            return False
        span = doc[who[0] : who[1]]
        name = span.text.lower()
        ages = [max(a["values"]) for a in doc._.sg_ages or [] if a["person"] and (
            a["person"] == [span.start, span.end] or (a.get("name") and _given(a["name"]) == _given(name))
            or _named_after(doc, a["person"][1], name))]
        return bool(ages) and min(ages) > self.preverbal_max_age and span.label_ != "PRONOUN"

    def _has_preverbal_child(self, doc: Doc, spans, contexts) -> bool:
        for span, ctx in zip(spans, contexts):
            if span.label_ == "CHILD" and span.kb_id_ in PREVERBAL_CATEGORIES and not ctx["negated"] and not ctx["hypothetical"]:
                return True
        for age in doc._.sg_ages or []:
            if age["values"] and max(age["values"]) <= self.preverbal_max_age:
                return True
        return False


def _given(name: str) -> str:
    """The first part of a name ("lily" of "Lily-Mae Rourke")."""
    return name.lower().split(" ")[0].split("-")[0]


def _named_after(doc: Doc, k: int, name: str) -> bool:
    """The word for a person ending at ``k`` is followed by ``name`` ("daughter Sofia (6)", "Pupil: Lily-Mae Rourke DOB")."""
    k = skip_forward(doc, k, (":", ",", "-"))
    return k < len(doc) and _given(doc[k].text) == _given(name)


def _is_speech(span) -> bool:
    """A quote reads as someone's words: in the first or second person, or four words or more."""
    inner = [t for t in span[1:-1] if not t.is_punct]
    return len(inner) >= MIN_QUOTE_WORDS or any(t.lower_ in FIRST_PERSON for t in inner)
