"""Entity rules: the spans every signal is built from.

One component matches every lexicon entry (phrases through a ``PhraseMatcher``
on lower-case forms, token patterns through a ``Matcher``) and writes the hits
to ``doc.spans[spans_key]``. A span's ``label_`` is what it is (CHILD, INJURY,
RISK_FACTOR...), ``kb_id_`` its category and ``id_`` the rule that matched, so
evidence can name the rule. Patterns live in ``resources/entities.jsonl`` and
are saved beside the pipeline by ``to_disk``, as spaCy's ``span_ruler`` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

import srsly
from spacy import util
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span

from .. import resources
from .anchored import AnchoredMatcher
from .spans import write_spans

DEFAULT_SPANS_KEY = "sg_entities"
PATTERNS_RESOURCE = "entities.jsonl"
#: The longest quotation, in tokens, taken as one person's words.
MAX_QUOTE_TOKENS = 80

#: Mentions of people. They compete with each other for tokens, the longest
#: winning ("adult daughter" beats "daughter", "children's services" beats
#: "children"); NONCHILD marks child words that name no child.
PERSON_LABELS = frozenset({"CHILD", "ADULT"})
MENTION_LABELS = PERSON_LABELS | {"NONCHILD"}


class PatternError(ValueError):
    """A pattern entry is malformed; the message names the entry."""


#: Titles before a name ("found by Mr Davies").
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "pc", "ps", "dc", "sgt", "insp", "nurse", "sister"})


def _check_entry(entry: Dict[str, Any], line: int) -> None:
    where = f"entity pattern {line} ({entry.get('id', 'no id')!r})"
    if not isinstance(entry.get("id"), str) or not entry["id"]:
        raise PatternError(f"{where}: needs a non-empty string 'id'")
    if not isinstance(entry.get("label"), str) or not entry["label"].isupper():
        raise PatternError(f"{where}: needs an upper-case string 'label'")
    has_terms = "terms" in entry
    has_pattern = "pattern" in entry
    has_quote = "quote" in entry
    if has_terms + has_pattern + has_quote != 1:
        raise PatternError(f"{where}: give exactly one of 'terms' (phrases), 'pattern' (tokens) or 'quote' (marks)")
    if has_quote and not (
        isinstance(entry["quote"], dict) and all(isinstance(entry["quote"].get(k), list) and entry["quote"][k] for k in ("open", "close"))
    ):
        raise PatternError(f"{where}: 'quote' must be {{\"open\": [marks], \"close\": [marks]}}")
    if has_terms and not (
        isinstance(entry["terms"], list) and entry["terms"] and all(isinstance(t, str) for t in entry["terms"])
    ):
        raise PatternError(f"{where}: 'terms' must be a non-empty list of strings")
    if has_pattern and not (isinstance(entry["pattern"], list) and entry["pattern"]):
        raise PatternError(f"{where}: 'pattern' must be a non-empty list of token patterns")
    if entry.get("greedy") not in (None, "FIRST", "LONGEST"):
        raise PatternError(f"{where}: 'greedy' must be 'FIRST', 'LONGEST' or absent")
    if entry.get("subject") not in (None, "child", "adult"):
        raise PatternError(f"{where}: 'subject' must be 'child', 'adult' or absent")


@Language.factory(
    "safeguard_entities",
    default_config={"spans_key": DEFAULT_SPANS_KEY},
)
def make_entity_ruler(nlp: Language, name: str, spans_key: str) -> "EntityRuler":
    return EntityRuler(nlp, name, spans_key=spans_key)


class EntityRuler(Pipe):
    """Lexicon and token-pattern matcher for safeguarding entities."""

    def __init__(self, nlp: Language, name: str = "safeguard_entities", *, spans_key: str = DEFAULT_SPANS_KEY):
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.clear()

    def clear(self) -> None:
        self.patterns: List[Dict[str, Any]] = []
        self.rules: Dict[str, Tuple[str, str, Optional[str]]] = {}
        self.phrase_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.matcher = AnchoredMatcher(self.nlp.vocab, validate=True)
        self.quotes: List[Tuple[str, frozenset, frozenset]] = []

    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None, patterns: Optional[Iterable[Dict[str, Any]]] = None) -> None:
        """Load ``patterns``, or the bundled lexicon when none are given."""
        self.clear()
        self.add_patterns(list(patterns) if patterns is not None else resources.read_jsonl(PATTERNS_RESOURCE))

    def add_patterns(self, patterns: List[Dict[str, Any]]) -> None:
        for n, entry in enumerate(patterns, start=len(self.patterns) + 1):
            _check_entry(entry, n)
            rule_id = entry["id"]
            if rule_id in self.rules:
                raise PatternError(f"entity pattern {n}: duplicate id {rule_id!r}")
            self.rules[rule_id] = (entry["label"], entry.get("category") or "", entry.get("subject"))
            if "terms" in entry:
                docs = list(self.nlp.tokenizer.pipe(entry["terms"]))
                self.phrase_matcher.add(rule_id, docs)
            elif "quote" in entry:
                strings = self.nlp.vocab.strings
                strings.add(rule_id)
                self.quotes.append((rule_id, frozenset(strings.add(m) for m in entry["quote"]["open"]),
                                    frozenset(strings.add(m) for m in entry["quote"]["close"])))
            else:
                self.matcher.add(rule_id, [entry["pattern"]], greedy=entry.get("greedy"))
            self.patterns.append(entry)

    def rule(self, rule_id: str) -> Tuple[str, str, Optional[str]]:
        """(label, category, fixed subject) of a rule id."""
        return self.rules[rule_id]

    def __call__(self, doc: Doc) -> Doc:
        strings = self.nlp.vocab.strings
        best: Dict[Tuple[int, int, str, str], Span] = {}
        matches = list(self.phrase_matcher(doc))
        if len(self.matcher):
            matches += self.matcher(doc)
        if self.quotes:
            matches += self._quoted(doc)
        for match_id, start, end in matches:
            rule_id = strings[match_id]
            label, category, _ = self.rules[rule_id]
            key = (start, end, label, category)
            if key not in best:
                best[key] = Span(doc, start, end, label=label, kb_id=category, span_id=rule_id)
        write_spans(doc, self.spans_key, _resolve_overlaps(list(best.values())))
        return doc

    def _quoted(self, doc: Doc) -> List[Tuple[int, int, int]]:
        """Quoted stretches: an opening mark glued to the next word, a closing one glued to the last."""
        orth, spacy_ = doc.to_array(["ORTH", "SPACY"]).T.tolist()
        strings = self.nlp.vocab.strings
        found = []
        for rule_id, opening, closing in self.quotes:
            marks = opening | closing
            positions = [i for i, o in enumerate(orth) if o in marks]
            k = 0
            while k < len(positions):
                i = positions[k]
                k += 1
                if orth[i] not in opening or spacy_[i] or i + 1 >= len(orth):
                    continue
                for m in range(k, len(positions)):
                    j = positions[m]
                    if j - i > MAX_QUOTE_TOKENS:
                        break
                    if orth[j] in closing and j > i + 1 and not spacy_[j - 1]:
                        found.append((strings[rule_id], i, j + 1))
                        k = m + 1
                        break
        return found

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        return util.to_bytes({"patterns": lambda: srsly.json_dumps(self.patterns)}, exclude)

    def from_bytes(self, data: bytes, *, exclude=tuple()) -> "EntityRuler":
        self.clear()
        util.from_bytes(data, {"patterns": lambda b: self.add_patterns(srsly.json_loads(b))}, exclude)
        return self

    def to_disk(self, path: Union[str, Path], *, exclude=tuple()) -> None:
        util.to_disk(util.ensure_path(path), {"patterns.jsonl": lambda p: srsly.write_jsonl(p, self.patterns)}, exclude)

    def from_disk(self, path: Union[str, Path], *, exclude=tuple()) -> "EntityRuler":
        self.clear()
        util.from_disk(util.ensure_path(path), {"patterns.jsonl": lambda p: self.add_patterns(list(srsly.read_jsonl(p)))}, exclude)
        return self


def skip_back(doc: Doc, i: int, words: Iterable[str], reach: Optional[int] = None) -> int:
    """The index of the last token at or before ``i`` whose lower form is not in ``words``, skipping at
    most ``reach`` tokens; -1 when the walk passes the start ("with his foster carer": from "his" to "with")."""
    k = i
    while k >= 0 and doc[k].lower_ in words and (reach is None or i - k < reach):
        k -= 1
    return k


def skip_forward(doc: Doc, i: int, words: Iterable[str]) -> int:
    """The index of the first token at or after ``i`` whose lower form is not in ``words``; ``len(doc)`` when the walk
    passes the end ("son (6)": from "(" to "6"). The twin of :func:`skip_back`."""
    k = i
    while k < len(doc) and doc[k].lower_ in words:
        k += 1
    return k


def linked_by(doc: Doc, person: Span, linkers: Iterable[str], past: Iterable[str]) -> bool:
    """One of ``linkers`` stands before the person, past any of ``past`` ("with his foster carer", "by the adults")."""
    k = skip_back(doc, person.start - 1, past)
    return k >= 0 and doc[k].lower_ in linkers


def _resolve_overlaps(spans: List[Span]) -> List[Span]:
    """Within a label and category (and across person labels), keep the longest of overlapping spans."""
    spans.sort(key=lambda s: (s.start - s.end, s.start))
    taken: Dict[object, set] = {}
    kept: List[Span] = []
    for span in spans:
        group = "MENTION" if span.label_ in MENTION_LABELS else (span.label_, span.kb_id_)
        used = taken.setdefault(group, set())
        tokens = range(span.start, span.end)
        if any(i in used for i in tokens):
            continue
        used.update(tokens)
        kept.append(span)
    kept.sort(key=lambda s: (s.start, s.end))
    # "LAC TO FOREHEAD": a person word inside an injury phrase is part of the injury, not a person.
    injured = {i for s in kept if s.label_ == "INJURY" and s.end - s.start > 1 for i in range(s.start, s.end)}
    if injured:
        kept = [s for s in kept if not (s.label_ in PERSON_LABELS and all(i in injured for i in range(s.start, s.end)))]
    return kept
