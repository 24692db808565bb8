"""ConText for safeguarding spans: negated, hypothetical, historical, and about whom.

Cues ("no", "denied", "if", "will refer", "previously", "has since faded",
"at school"...) come from ``resources/context.jsonl``. A cue covers the spans
after it (forward), before it (backward) or both, within ``window`` tokens and
never across a clause boundary (full stop, semicolon, new line, "but",
"however"...). A comma or "and"/"or" stops a cue unless the scope is running
through a list of the same kind of span ("no bruising, marks or swelling").
Pseudo-cues ("no further", "not only", "no longer") cancel the cues inside
them.

Who a span is about: a rule can fix it; otherwise the nearest person mention
in the sentence (after "to/on/of/by" when that follows the span, else before
it), with pronouns resolved to the last person named. Results are plain dicts
in ``doc._.sg_context``, one per span of ``doc.spans[spans_key]``, in order.
"""

from __future__ import annotations

import bisect
import itertools
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple, Union

import srsly
from spacy import util
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from .. import resources
from .ages import ADULT_AGE
from .anchored import AnchoredMatcher
from .entities import DEFAULT_SPANS_KEY, PERSON_LABELS, TITLES, linked_by, skip_back
from .spans import read_spans

CUE_TYPES = ("NEGATED", "HYPOTHETICAL", "HISTORICAL", "ABSENT", "PRESENT", "EXCLUDED", "PSEUDO", "TERMINATE")
DIRECTIONS = ("forward", "backward", "both")
PATTERNS_RESOURCE = "context.jsonl"
GENDER_RESOURCE = "gender.jsonl"
SUBJECTLESS_RESOURCE = "subjectless.jsonl"
SUBJECT_PRONOUNS = frozenset({"he", "she", "they", "s/he", "he's", "she's"})
#: Pronouns that name an owner or an object, never who did or said something ("her college").
NON_AGENT_PRONOUNS = frozenset({"his", "her", "hers", "their", "them", "him", "its"})
#: An object pronoun this close after a person is someone else ("Mum reported her").
OBJECT_GAP = 3
#: Words that may stand between a speaker and the verb ("Tia has also said").
SPEAKER_GAP = 3
SPEAKER_GAP_WORDS = frozenset({"has", "had", "have", "also", "then", "later", "again", "only", "just", "was", "is", "were",
                               "are", "clearly", "repeatedly", "further", "initially", "first", "herself", "himself",
                               "spontaneously", "immediately", "quietly", "openly", "did", "does", "do", "would", "could",
                               "eventually", "finally", "now", "still", "kept", "keeps", "started", "starts", "began", "begins",
                               "continued", "continues", "tried", "tries", "(", ")", "-"})

SENTENCE_END = frozenset({".", "!", "?"})
CLAUSE_END = frozenset({";", "–", "—", "|"})
SOFT_BOUNDARY = frozenset({",", "and", "or", "&", "/", "nor"})
LINKERS = frozenset({"to", "on", "of", "by", "from", "for", "in", "towards", "above", "below", "under", "across", "around", "behind", "near"})
PASSIVE_LINKERS = frozenset({"by"})
LINKED_WINDOW = 8
MISSING_WINDOW = 4
#: "reported missing by mum", "found by staff": the person after these is not the missing one.
REPORTER_LINKERS = frozenset({"by", "to", "with", "w/", "w", "from", "for",
                              # "rang mum, whereabouts unknown": the one called is told, not missing.
                              "rang", "phoned", "called", "contacted", "informed", "texted", "messaged"})
#: What professionals see on others: an injury is never the observer's ("staff noticed marks").
OBSERVED_LABELS = frozenset({"INJURY"})
#: Speech and demeanour belong to the person before the verb ("Tia told officers").
SPEAKER_LABELS = frozenset({"VOICE", "QUOTE", "DEMEANOUR"})
#: What a record is about: the child, unless an adult is named right before it ("mum uses cannabis").
TOPICAL_LABELS = frozenset({"RISK_FACTOR", "MISSING"})
#: Risk factors that describe the child's situation with others: the adults named in them are the risk.
CHILD_SITUATIONS = frozenset({"risky_associates", "sexual_exploitation", "criminal_exploitation", "online_contact"})
#: Exploitation cues that can as well be an adult's (a knife, heroin): checked for whose they are.
OWNED_RISK_RULES = frozenset({"rf.criminal_exploitation.weapon_drugs"})
#: Risk factors a passive "by" gives to someone else ("cannabis being smoked by the adults").
OWNED_BY_AGENT = frozenset({"substance_misuse"})
#: People who are around, not whose drinking or health a risk factor is about.
BYSTANDER_KINDS = frozenset({"professional", "peer"})
#: Verbs by which one person passes on what another did ("mum says he drinks").
REPORTING_WORDS = frozenset({"says", "said", "reports", "reported", "believes", "believed", "thinks", "thought", "told",
                             "tells", "states", "stated", "explains", "explained", "worried", "concerned", "feels",
                             "found", "noticed", "saw", "heard", "called", "rang", "disclosed", "alleges", "alleged",
                             "rings", "calls", "phones", "phoned",
                             "report", "say", "state", "believe", "think", "explain", "allege"})
PRONOUN_LABEL = "PRONOUN"
#: Labels a negation runs through as one list ("would not make eye contact or say anything").
SAME_KIND = {"DEMEANOUR": "VOICE", "QUOTE": "VOICE"}
#: Words between a person and what they do ("dad has been drinking").
AUXILIARIES = frozenset({"has", "had", "have", "been", "was", "is", "were", "be", "being", "also", "then", "still", "now", "always",
                         "often", "regularly", "again"})
#: The person after these came along or found someone: not whose injury it is ("brought in by mum", "with his carer").
COMPANION_LINKERS = frozenset({"with", "w/", "w", "by"})
_DETERMINERS = frozenset({"his", "her", "their", "the", "a", "an", "its", "my", "our"})
#: "with several adult males", "with two older lads": how many came along.
_QUANTIFIERS = frozenset({"several", "some", "two", "three", "four", "few", "various", "other", "2", "3", "4", "x2", "x3"})
#: Words between a reporter's linker and the person ("reported by her mum").
_OWNER_WORDS = NON_AGENT_PRONOUNS | {"the", "a", "an"}
#: Words between a missing person (or the bracket after them) and the missing word ("... 12) HAS BEEN REPORTED MISSING").
_MISSING_GAP_WORDS = (SPEAKER_GAP_WORDS - {"(", ")"}) | {"been", "being"}
#: What may stand between a word for a person and their name ("Mum (Hollie, 26)", "son: Kai"); a comma lists people instead.
NAME_JOINERS = frozenset({"(", ":"})
#: Relative pronouns, and how far after a person one may stand (past an age in brackets) to be about them.
RELATIVE_PRONOUNS = frozenset({"who", "which", "that"})
RELATIVE_GAP = 4
#: Spans whose subject the signals use (and auditors read); others keep "unknown".
SUBJECT_LABELS = frozenset({"CHILD", "ADULT", "PRONOUN", "INJURY", "MISSING", "RISK_FACTOR", "VOICE", "QUOTE",
                            "DEMEANOUR", "DA_VIOLENCE", "DOMESTIC_ABUSE"})


#: Words that stand for a thing just named ("... but it has since faded").
ANAPHORS = frozenset({"it", "this", "these", "they", "both", "all", "which", "that"})
#: Words by which a mention is another of its kind, not the one named before ("a new bruise").
ANOTHER_MENTION = frozenset({"a", "an", "another", "new", "fresh", "second", "further", "other", "one", "more", "different"})


class ContextRuleError(ValueError):
    """A context cue entry is malformed; the message names the entry."""


def _check_cue(entry: Dict[str, Any], n: int) -> None:
    where = f"context cue {n} ({entry.get('id', 'no id')!r})"
    if not isinstance(entry.get("id"), str):
        raise ContextRuleError(f"{where}: needs a string 'id'")
    if entry.get("type") not in CUE_TYPES:
        raise ContextRuleError(f"{where}: 'type' must be one of {', '.join(CUE_TYPES)}")
    terms, patterns, slots = entry.get("terms"), entry.get("patterns"), entry.get("slots")
    if terms is None and patterns is None and slots is None:
        raise ContextRuleError(f"{where}: needs 'terms' (phrases), 'slots' (phrases as word choices) or 'patterns' (token patterns)")
    if terms is not None and (not isinstance(terms, list) or not terms):
        raise ContextRuleError(f"{where}: 'terms' must be a non-empty list of phrases")
    if slots is not None and (not isinstance(slots, list) or not slots or not all(
            isinstance(phrase, list) and phrase and all(isinstance(c, list) and c and all(isinstance(w, str) for w in c) for c in phrase)
            for phrase in slots)):
        raise ContextRuleError(f"{where}: 'slots' must be a list of phrases, each a list of word choices (lists of strings)")
    if patterns is not None and (not isinstance(patterns, list) or not patterns
                                 or not all(isinstance(p, list) and p for p in patterns)):
        raise ContextRuleError(f"{where}: 'patterns' must be a non-empty list of spaCy token patterns (lists of dicts)")
    if entry["type"] not in ("PSEUDO", "TERMINATE") and entry.get("direction") not in DIRECTIONS:
        raise ContextRuleError(f"{where}: 'direction' must be one of {', '.join(DIRECTIONS)}")
    categories = entry.get("categories")
    if categories is not None and (not isinstance(categories, list) or not all(isinstance(c, str) for c in categories)):
        raise ContextRuleError(f"{where}: 'categories' must be a list of span categories (strings)")
    for option in ("through_commas", "through_relative", "earlier_mentions"):
        if not isinstance(entry.get(option, False), bool):
            raise ContextRuleError(f"{where}: {option!r} must be true or false")
    window = entry.get("window", 6)
    if not isinstance(window, int) or window < 0:
        raise ContextRuleError(f"{where}: 'window' must be a whole number >= 0")


@Language.factory(
    "safeguard_context",
    default_config={
        "spans_key": DEFAULT_SPANS_KEY,
        "entities_component": "safeguard_entities",
        "subject_window": 12,
    },
)
def make_context(nlp: Language, name: str, spans_key: str, entities_component: str, subject_window: int) -> "ContextAnnotator":
    return ContextAnnotator(nlp, name, spans_key=spans_key, entities_component=entities_component, subject_window=subject_window)


class ContextAnnotator:
    def __init__(self, nlp: Language, name: str, *, spans_key: str, entities_component: str, subject_window: int):
        if subject_window < 1:
            raise ValueError(f"{name}: subject_window must be at least 1, got {subject_window}")
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.entities_component = entities_component
        self.subject_window = subject_window
        self.gender = {w: g["gender"] for g in resources.read_jsonl(GENDER_RESOURCE) for w in g["words"]}
        self.subjectless_openers = frozenset(w for entry in resources.read_jsonl(SUBJECTLESS_RESOURCE) for w in entry["words"])
        if not Doc.has_extension("sg_context"):
            Doc.set_extension("sg_context", default=None)
        self.clear()

    def clear(self) -> None:
        self.cues: List[Dict[str, Any]] = []
        self.by_id: Dict[str, Dict[str, Any]] = {}
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.token_matcher = AnchoredMatcher(self.nlp.vocab)

    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None, cues: Optional[Iterable[Dict[str, Any]]] = None) -> None:
        self.clear()
        self.add_cues(list(cues) if cues is not None else resources.read_jsonl(PATTERNS_RESOURCE))

    def add_cues(self, cues: List[Dict[str, Any]]) -> None:
        for n, entry in enumerate(cues, start=len(self.cues) + 1):
            _check_cue(entry, n)
            if entry["id"] in self.by_id:
                raise ContextRuleError(f"context cue {n}: duplicate id {entry['id']!r}")
            entry = dict(entry)
            entry.setdefault("window", 6)
            entry["labels_set"] = frozenset(entry.get("labels") or ())
            entry["except_set"] = frozenset(entry.get("except_labels") or ())
            entry["categories_set"] = frozenset(entry.get("categories") or ())
            self.by_id[entry["id"]] = entry
            phrases = list(entry.get("terms") or ()) + spell_slots(entry.get("slots") or ())
            if phrases:
                self.matcher.add(entry["id"], [self.nlp.make_doc(t) for t in phrases])
            if entry.get("patterns"):
                try:
                    self.token_matcher.add(entry["id"], entry["patterns"])
                except (ValueError, KeyError) as err:
                    raise ContextRuleError(f"context cue {n} ({entry['id']!r}): bad token pattern: {err}") from err
            self.cues.append(entry)

    def _serialisable(self) -> List[Dict[str, Any]]:
        return [{k: v for k, v in c.items() if k not in ("labels_set", "except_set", "categories_set")} for c in self.cues]

    # -- the work ---------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        spans = read_spans(doc, self.spans_key)
        sentence, clause, soft, self._alternatives = _boundaries(doc)
        cues = self._cues(doc)
        terminators = {s for cid, s, e in cues if self.by_id[cid]["type"] == "TERMINATE"}
        relative = {t for t in terminators if doc[t].lower_ in RELATIVE_PRONOUNS}
        fixed = self._fixed_subjects(spans)
        bounds = [(s.start, s.end, s.label_) for s in spans]
        starts = [b[0] for b in bounds]
        # (In start order, as the entity and age components leave them, a cue's reach begins at a bisection.)
        ordered = starts if all(a <= b for a, b in zip(starts, starts[1:])) else None
        contexts = [
            blank_context()
            for _ in spans
        ]
        for cue_id, start, end in cues:
            cue = self.by_id[cue_id]
            ctype = cue["type"]
            if ctype == "TERMINATE":
                continue
            hits = self._scope(bounds, cue, start, end, clause, soft, terminators, relative, ordered)
            if cue["categories_set"]:
                hits = [i for i in hits if spans[i].kb_id_ in cue["categories_set"]]
            if not hits and cue.get("earlier_mentions") and start > 0 and doc[start - 1].lower_ in ANAPHORS:
                # "a bruise on Mia's arm but it has since faded": "it" is the last such span of the sentence.
                hits = [i for i, (s_start, s_end, label) in enumerate(bounds)
                        if s_end <= start and sentence[s_start] == sentence[start] and label in cue["labels_set"]][-1:]
            if not hits:
                continue
            where = doc[start:end]
            applied = {"type": ctype.lower(), "rule": cue_id, "text": where.text, "start": where.start_char, "end": where.end_char}
            for idx in hits:
                ctx = contexts[idx]
                ctx[ctype.lower()] = True
                ctx["cues"].append(dict(applied))
        self._carry_back(spans, contexts)
        # ("declined to say how they happened": a pronoun for the injuries is nobody.)
        people = [(i, spans[i]) for i, (_, _, label) in enumerate(bounds)
                  if label in PERSON_LABELS or (label == PRONOUN_LABEL and not contexts[i]["excluded"])]
        self._segment = _segments(doc, clause)
        self._subjectless = _subjectless_sentences(doc, sentence, self.subjectless_openers)
        self._person_tokens = {t for _, s in people if s.label_ in PERSON_LABELS for t in range(s.start, s.end)}
        self._text_of = {(s.start, s.end): s.text.lower() for _, s in people}
        self._name_gender = self._names_gender(doc, people)
        self._violence = {t for s in spans if s.label_ == "DA_VIOLENCE" and s.kb_id_ == "physical" for t in range(s.start, s.end)}
        referents = self._resolve_pronouns(people, sentence)
        # ("chloe 19yo not returned home ... chloes son (2) is staying with his father": a child elsewhere is
        # no one a record's unplaced words can be about.)
        has_child = any(
            b[2] == "CHILD" and not c["negated"] and not c["hypothetical"] and not c["absent"] for b, c in zip(bounds, contexts)
        )
        self._lower = {i: self._text_of[(s.start, s.end)] for i, s in people}
        self._by_sentence: Dict[int, List[Tuple[int, Span]]] = {}
        for p in people:
            self._by_sentence.setdefault(sentence[p[1].start], []).append(p)
        for i, (start, _, label) in enumerate(bounds):
            contexts[i]["clause"] = clause[start]
            if label not in SUBJECT_LABELS:
                continue
            subject, who = self._subject(i, spans[i], spans, people, referents, fixed, sentence, clause, has_child)
            contexts[i]["subject"] = subject
            contexts[i]["subject_span"] = who
        self._one_missing_person(spans, bounds, contexts)
        doc._.sg_context = contexts
        return doc

    def _carry_back(self, spans: List[Span], contexts: List[Dict[str, Any]]) -> None:
        """What a cue marked ``earlier_mentions`` says of "the bruise" holds for the bruise named before it
        ("a bruise on Freya's upper arm ... The bruise has now faded"), unless the later one is another
        ("a new bruise which has since faded")."""
        for i, ctx in enumerate(contexts):
            carried = [c for c in ctx["cues"] if self.by_id[c["rule"]].get("earlier_mentions")]
            if not carried:
                continue
            span = spans[i]
            doc = span.doc
            k = span.start - 1
            while k >= 0 and span.start - k <= 3 and not doc[k].is_punct and doc[k].lower_ not in ANOTHER_MENTION:
                k -= 1
            if k >= 0 and doc[k].lower_ in ANOTHER_MENTION:
                continue
            for j in range(i):
                other = contexts[j]
                if spans[j].label_ != span.label_ or spans[j].kb_id_ != span.kb_id_:
                    continue
                for cue in carried:
                    if not other[cue["type"]]:
                        other[cue["type"]] = True
                        other["cues"].append(dict(cue, mention={"start": span.start_char, "end": span.end_char}))

    @staticmethod
    def _one_missing_person(spans: List[Span], bounds: List[Tuple[int, int, str]], contexts: List[Dict[str, Any]]) -> None:
        """A missing word with no one beside it is about the record's missing person: an adult when the
        only one said to be missing is an adult known by name or age ("partner Mark (34) missing from home
        ... MISPER log raised"), not a parent or carer the rules may have mistaken for them."""
        missing = [(b, c) for b, c in zip(bounds, contexts) if b[2] == "MISSING" and not c["negated"] and not c["hypothetical"]]
        placed = [c for _, c in missing if c["subject_span"] is not None]
        if not placed or not all(c["subject"] == "adult" for c in placed):
            return
        stated = {(s.start, s.end) for s in spans if s.label_ == "ADULT" and s.kb_id_ in ("named", "by_age")}
        # "missing female Kirsty DAVIES (34)": a word for an adult that their name follows, or that their age is given to.
        generic = {(s.start, s.end) for s in spans if s.label_ == "ADULT" and s.kb_id_ == "generic"}
        stated |= {(a.start, a.end) for a, b in zip(spans, spans[1:])
                   if (a.start, a.end) in generic and b.label_ == "ADULT" and b.kb_id_ == "named" and b.start == a.end}
        stated |= {tuple(age["person"]) for age in spans[0].doc._.sg_ages or []
                   if age["person"] and tuple(age["person"]) in generic and min(age["values"]) >= ADULT_AGE} if spans else set()
        # "adult MISPER", "missing adult": the record says in so many words that an adult is missing.
        near = {t for b, _ in missing for t in range(b[0] - 1, b[1] + 1)}
        stated |= {(s.start, s.end) for s in spans if s.label_ == "ADULT" and s.kb_id_ == "generic"
                   and s.text.lower().startswith("adult") and (s.start in near or s.end - 1 in near)}
        if not all(tuple(c["subject_span"]) in stated for c in placed):
            return
        for _, c in missing:
            if c["subject_span"] is None and c["subject"] == "child":
                c["subject"] = "adult"
                c["subject_span"] = list(placed[0]["subject_span"])

    def _cues(self, doc: Doc) -> List[Tuple[str, int, int]]:
        strings = self.nlp.vocab.strings
        raw = [(strings[m], s, e) for m, s, e in self.matcher(doc)]
        if len(self.token_matcher):
            raw += [(strings[m], s, e) for m, s, e in self.token_matcher(doc)]
        pseudo = [(s, e) for cid, s, e in raw if self.by_id[cid]["type"] == "PSEUDO"]
        # A pseudo-cue cancels the cues it overlaps, but not a phrase that says what the words inside it mean.
        cues = [(cid, s, e) for cid, s, e in raw if self.by_id[cid]["type"] != "PSEUDO"
                and (self.by_id[cid].get("within") or not any(s < pe and e > ps for ps, pe in pseudo))]
        # A cue inside a longer cue of another type gives way ("present" in "not present").
        multi = [(cid, s, e) for cid, s, e in cues if e - s > 1]
        return [
            (cid, s, e) for cid, s, e in cues
            if not any(os <= s and e <= oe and (oe - os) > (e - s) and self.by_id[ocid]["type"] != self.by_id[cid]["type"]
                       for ocid, os, oe in multi)
        ]

    def _scope(self, spans: List[Tuple[int, int, str]], cue: Dict[str, Any], start: int, end: int, clause: List[int], soft: List[bool],
               terminators: set, relative: set = frozenset(), starts: Optional[List[int]] = None) -> List[int]:
        """Indices of the spans (given as start, end, label) that the cue at start:end reaches.

        ``starts``, the spans' starts when they are in order, lets the search begin where the reach does.

        A relative pronoun just after a person ("her son (8) who is at school")
        opens a clause about that person, so it does not stop a cue of where
        they are (ABSENT, PRESENT) from reaching back to them; a cue marked
        ``through_relative`` reaches back through one anywhere in its window
        ("a bruise on his shin which has since faded").
        """
        labels, excluded, window = cue["labels_set"], cue["except_set"], cue["window"]

        def eligible(s_start: int, s_end: int, label: str) -> bool:
            if labels and label not in labels:
                return False
            return label not in excluded and not (s_start < end and s_end > start)

        hits: List[int] = []
        if cue.get("within"):
            # A phrase in which the span's words mean something else ("took her phone off her"): only the spans inside it.
            return [i for i, (s_start, s_end, label) in enumerate(spans)
                    if start <= s_start and s_end <= end and (not labels or label in labels) and label not in excluded]
        if cue["direction"] in ("forward", "both"):
            prev, seen = end, set()
            for i in range(0 if starts is None else bisect.bisect_left(starts, end), len(spans)):
                s_start, s_end, label = spans[i]
                if s_start < end or not eligible(s_start, s_end, label):
                    continue
                if s_start >= len(clause) or clause[s_start] != clause[end - 1] or s_start - prev > window:
                    break
                gap = range(prev, s_start)
                if any(t in terminators for t in gap):
                    break
                # ("would not make eye contact or say anything": "or" carries a negation on, "and" and a comma do not.)
                kind = SAME_KIND.get(label, label)
                if cue["type"] == "NEGATED" and seen and any(soft[t] for t in gap) and kind not in seen:
                    break
                if (cue["type"] == "NEGATED" and not seen and s_start - end > 1
                        and any(soft[t] and t not in self._alternatives for t in gap)):
                    break
                hits.append(i)
                seen.add(kind)
                prev = s_end
        if cue["direction"] in ("backward", "both"):
            locating = cue["type"] in ("ABSENT", "PRESENT")
            relative_gap = window if cue.get("through_relative") else RELATIVE_GAP if locating else -1
            nxt, seen = start, set()
            for i in range((len(spans) if starts is None else bisect.bisect_left(starts, start)) - 1, -1, -1):
                s_start, s_end, label = spans[i]
                if s_end > start or not eligible(s_start, s_end, label):
                    continue
                if clause[s_end - 1] != clause[start] or nxt - s_end > window:
                    break
                gap = range(s_end, nxt)
                if any(t in terminators and not (t in relative and t - s_end <= relative_gap) for t in gap):
                    break
                if (cue["type"] not in ("ABSENT", "PRESENT") and not cue.get("through_commas")
                        and any(soft[t] for t in gap) and (not seen or label not in seen)):
                    break
                hits.append(i)
                seen.add(label)
                nxt = s_start
        return hits

    def _fixed_subjects(self, spans: List[Span]) -> Dict[int, str]:
        try:
            ruler = self.nlp.get_pipe(self.entities_component)
        except KeyError:
            return {}
        out = {}
        for i, span in enumerate(spans):
            if span.id_ in ruler.rules:
                subject = ruler.rules[span.id_][2]
                if subject:
                    out[i] = subject
        return out

    def _subject(self, i, span, spans, people, referents, fixed, sentence, clause, has_child) -> Tuple[str, Optional[List[int]]]:
        label = span.label_
        if label == "CHILD":
            return "child", [span.start, span.end]
        if label == "ADULT":
            return "adult", [span.start, span.end]
        if label == PRONOUN_LABEL:
            return self._person_subject((i, span), referents)
        if i in fixed:
            return fixed[i], None
        doc = span.doc
        sent = sentence[span.start]
        here = self._by_sentence.get(sent, [])
        lower = self._lower
        before = [p for p in here if p[1].end <= span.start and lower[p[0]] not in NON_AGENT_PRONOUNS]
        self._object_pronouns = [p for p in here if lower[p[0]] in ("her", "him", "them")]
        after = [p for p in here if p[1].start >= span.end]
        linkers = PASSIVE_LINKERS if label in SPEAKER_LABELS else LINKERS
        if label == "MISSING":
            return self._missing_subject(span, before, after, referents, has_child, clause)
        if (after and label not in TOPICAL_LABELS and label != "DEMEANOUR"
                and not (label in OBSERVED_LABELS and after[0][1].kb_id_ == "professional")):
            # ("seen by officers": the one after "by" watches the demeanour, and an injury is never
            # the professional's who looks at it.)
            between = doc[span.end : after[0][1].start]
            if (len(between) <= LINKED_WINDOW and any(t.lower_ in linkers for t in between[-3:])
                    and not any(t.is_punct for t in between)):
                return self._person_subject(after[0], referents)
        if label in OBSERVED_LABELS:
            if after and after[0][1].start - span.end <= 1 and (
                    _is_possessor(doc, after[0][1]) or after[0][1].text.lower() in ("her", "his", "their")):
                return self._person_subject(after[0], referents)
            # (Not "Karen's" in "Karen's son (4) suffered a burn": the one owned.)
            before = [p for p in before if p[1].kb_id_ != "professional" and not _accompanies(doc, p[1])]
            before = [p for p in before if not _is_possessor(doc, p[1])] or before
            if before:
                # Who has the injury: the subject of its own stretch of sentence, else of the sentence,
                # passing over one who only reports it ("Mum reported Mia has a mark on her cheek").
                segment = self._in_segment(before, span)
                # The one the violence was done to ("hit her son Harry on the forehead causing a cut").
                hurt = [p for p in (segment or before) if self._victim(doc, p[1])]
                if hurt:
                    return self._person_subject(hurt[-1], referents)
                chosen = _past_reporters(doc, segment or before)[0]
                if segment and _reports(doc, chosen[1]):
                    # "Kofi (9) getting changed, Mr Reid noticed red welts": all in its stretch only saw it.
                    rest = [p for p in before if p not in segment and p[1].label_ != PRONOUN_LABEL]
                    if rest:
                        return self._person_subject(_past_reporters(doc, rest)[0], referents)
                    if len(before) == len(segment):
                        # "In PE Mrs Hart noticed red welts": no one but the observer, as if the sentence named nobody.
                        before = []
                if before:
                    return self._person_subject(chosen, referents)
            # No one before it in its sentence: the first one after it ("Fresh cuts to both forearms, Jade declined to
            # say"), passing over one who only reports it ("BURN TO R HAND, MUM STATES HE GRABBED ...").
            later = [p for p in after if p[1].kb_id_ != "professional" and not _accompanies(doc, p[1])
                     and lower[p[0]] not in NON_AGENT_PRONOUNS]
            if later:
                return self._person_subject(_past_reporters(doc, later, keep_child=True, referents=referents)[0], referents)
            # A finding in a sentence naming nobody: the first one named in the sentence just before ("Chantelle
            # seen at home. Red welts across both thighs."), else the one the record is about, the first it names
            # ("15YO MALE OLLIE GRANT FAILED TO RETURN ... LIMPING, LEFT ANKLE SWOLLEN").
            lay = [p for p in people if p[1].end <= span.start and p[1].kb_id_ not in BYSTANDER_KINDS and not _accompanies(doc, p[1])
                   and (p[1].label_ != PRONOUN_LABEL or lower[p[0]] in SUBJECT_PRONOUNS)]
            previous = [p for p in lay if sentence[p[1].start] == sentence[span.start] - 1]
            if previous and sentence[span.start] - 1 in self._subjectless:
                # "Located by patrol with 2 older males. Fresh scratches ...": not the finder or the company.
                previous = self._centre([(p[1], p) for p in lay], sentence)
                previous = [x[1] for x in previous]
            # The one the violence was done to ("... hit Connor across the legs. Red welts visible to both thighs").
            # ("... dad hit him with his belt. Red welts ...": "him", when it is a child, too.)
            hurt = [p for p in people if sentence[p[1].start] == sentence[span.start] - 1 and self._victim(doc, p[1])
                    and self._person_subject(p, referents)[0] == "child"]
            if hurt:
                return self._person_subject(hurt[-1], referents)
            lay = previous or [p for p in lay if p[1].label_ != PRONOUN_LABEL]
            if lay:
                return self._person_subject(_past_reporters(doc, lay, keep_child=bool(previous))[0], referents)
            return "unknown", None
        if label in SPEAKER_LABELS:
            # (Not a quote's own words: "Daddy hit me with his hand" is not his.)
            inside = [] if label == "QUOTE" else [
                p for p in here if span.start <= p[1].start and p[1].end <= span.end and lower[p[0]] in ("her", "his", "their")]
            if inside:
                # "in her own words": whose words the phrase says.
                return self._person_subject(inside[0], referents)
            j = skip_back(doc, span.start - 1, SPEAKER_GAP_WORDS)
            if j >= 0 and _unknown_name(doc[j]) and not any(p[1].start <= j < p[1].end for p in people):
                return "unknown", [j, j + 1]
            opening = self._segment_start(span.start)
            if (label == "VOICE" and 0 < opening and doc[opening - 1].text == "," and span.start - opening <= 6
                    and _unknown_name(doc[opening]) and opening not in self._person_tokens
                    and not any(p[1].start < span.start and p[1].end > opening for p in here)):
                # "..., Natalie had not agreed and wants him home": a name we cannot place opens the speaker's stretch.
                return "unknown", [opening, opening + 1]
            if (label == "VOICE" and j >= 0 and doc[j].is_alpha and not doc[j].is_stop and doc[j].lower_ not in self.gender
                    and not any(p[1].start <= j < p[1].end for p in people)):
                # "XRAY CONFIRMS", "the report states": a thing, not a person, is said to speak.
                return "unknown", None
            if label == "DEMEANOUR":
                # "checked on him - settled and smiling": the one looked at, not the one looking.
                seen = [p for p in here if lower[p[0]] in ("him", "her", "them") and p[1].end <= span.start and span.start - p[1].end <= 3]
                if seen:
                    return self._person_subject(seen[-1], referents)
            before = [p for p in before if not _is_possessor(doc, p[1])]
            if label == "DEMEANOUR" and not before and has_child:
                return "child", None
            if before and label == "QUOTE" and before[-1][1].kb_id_ == "professional":
                before = [p for p in before if p[1].kb_id_ != "professional"] or before
            if before and span.start - before[-1][1].end <= SPEAKER_GAP + 2 and all(
                t.lower_ in SPEAKER_GAP_WORDS or t.like_num for t in doc[before[-1][1].end : span.start]
            ):
                return self._person_subject(before[-1], referents)
            if before:
                lay = [p for p in before if p[1].kb_id_ != "professional"] or before
                # "..., mum rang staff at 1500 to say": the one in its own stretch of sentence speaks.
                own = self._in_segment(lay, span)
                return self._person_subject((own or lay)[0], referents)
            inverted = span.start > 0 and doc[span.start - 1].text in (",", '"', "'", "”", "’")
            if inverted and after and after[0][1].start == span.end and after[0][1].label_ != PRONOUN_LABEL:
                return self._person_subject(after[0], referents)
            earlier = [p for p in people if p[1].end <= span.start]
            if earlier:
                last = sentence[earlier[-1][1].start]
                return self._person_subject(next(p for p in earlier if sentence[p[1].start] == last), referents)
            return "unknown", None
        if label in TOPICAL_LABELS:
            if span.kb_id_ in OWNED_BY_AGENT:
                # "Cannabis being smoked in flat by the adults": the one named after "by" in its stretch of sentence.
                agent = [p for p in self._in_segment(after, span)
                         if p[1].start - span.end <= LINKED_WINDOW and linked_by(doc, p[1], PASSIVE_LINKERS, _DETERMINERS)]
                if agent:
                    return self._person_subject(agent[0], referents)
            if span.kb_id_ not in CHILD_SITUATIONS or span.id_ in OWNED_RISK_RULES:
                # Whose drinking or health: the sentence's subject, passing over a reporter ("mum says ...").
                lay = [p for p in before if p[1].kb_id_ not in BYSTANDER_KINDS]
                if lay and span.start - lay[-1][1].end <= 3 and all(
                        t.lower_ in AUXILIARIES for t in doc[lay[-1][1].end : span.start]) and lay[-1][1].label_ != PRONOUN_LABEL:
                    # "scared to go home when dad has been drinking": the one the verb's own words put before it.
                    return self._person_subject(lay[-1], referents)
                # The one in its own stretch of sentence first ("... to find mum asleep on the sofa very drunk").
                lay = self._in_segment(lay, span) or lay
                while lay and _reports(doc, lay[0][1]):
                    lay = lay[1:]
                if lay:
                    return self._person_subject(lay[0], referents)
            return ("child", None) if has_child else ("unknown", None)
        if before and span.start - before[-1][1].end <= self.subject_window:
            return self._person_subject(before[-1], referents)
        if after and after[0][1].start - span.end <= 6:
            return self._person_subject(after[0], referents)
        earlier = [p for p in people if p[1].end <= span.start and span.start - p[1].end <= 3 * self.subject_window]
        if earlier:
            return self._person_subject(earlier[-1], referents)
        return "unknown", None

    def _centre(self, mentions: List[Tuple[Span, Any]], sentence: List[int]) -> List[Tuple[Span, Any]]:
        """Of ``mentions`` (where, who), those of the last sentence that has a subject of its own.

        A sentence that opens with its subject left out ("Located by police with 2 males", "Absconded from
        placement, FC reported him") is about the one the record was already about: its people count only
        right after the opening word ("Found Jade at ..."). With no other sentence, the last one's people.
        """
        by_sentence: Dict[int, List[Tuple[Span, Any]]] = {}
        for m in mentions:
            by_sentence.setdefault(sentence[m[0].start], []).append(m)
        for s in sorted(by_sentence, reverse=True):
            opener = self._subjectless.get(s)
            if opener is None:
                return by_sentence[s]
            direct = [m for m in by_sentence[s] if 0 < m[0].start - opener <= 2]
            if direct:
                return direct
        return by_sentence[max(by_sentence)]

    def _segment_start(self, k: int) -> int:
        """The first token of token ``k``'s stretch of sentence."""
        segment = self._segment
        while k > 0 and segment[k - 1] == segment[k]:
            k -= 1
        return k

    def _in_segment(self, people: List[Tuple[int, Span]], span: Span) -> List[Tuple[int, Span]]:
        """Those of ``people`` in the span's own stretch of sentence (between commas)."""
        here = self._segment[span.start]
        return [p for p in people if self._segment[p[1].start] == here]

    def _victim(self, doc: Doc, person: Span) -> bool:
        """The person right after a violent act ("punched her"), or the subject of a passive one ("Santi was punched")."""
        acts = self._violence
        k = skip_back(doc, person.start - 1, _DETERMINERS, reach=2)
        if k in acts or (k >= 1 and k - 1 in acts and doc[k].lower_ in ("at", "on")):
            return True
        k = person.end
        if k in acts and doc[k].lower_ == "by":
            # "GRAB HER BY THE NECK": the one taken hold of.
            return True
        while k < len(doc) and k - person.end < 4 and doc[k].lower_ in ("was", "were", "been", "got", "being", "had", "has", "also", "then"):
            k += 1
        return k > person.end and k in acts

    def _missing_subject(self, span, before, after, referents, has_child, clause) -> Tuple[str, Optional[List[int]]]:
        """Who is missing: the nearest person beside the word, not the one reporting or finding them."""
        doc = span.doc

        def fits(p: Span) -> bool:
            k = skip_back(doc, p.start - 1, _OWNER_WORDS)
            # "w/ Mr & Mrs Dove": back over the others named with them to the linker (but "with her daughter
            # Isla" has no one else with them: Isla is the one who went).
            j = k
            while j >= 1 and (doc[j].lower_ in ("&", "and") or j in self._person_tokens):
                j = skip_back(doc, j - 1, _OWNER_WORDS)
            if any(doc[t].lower_ in ("&", "and") for t in range(j + 1, k + 1)):
                k = j
            return (p.kb_id_ != "professional" and clause[p.start] == clause[span.start]
                    and not (k >= 0 and doc[k].lower_ in REPORTER_LINKERS))

        # "MISPER - ADULT MALE CONNOR BYRNE 23YRS": a heading names the missing person after its dash.
        if span.end + 1 < len(doc) and doc[span.end].text in ("-", ":", "–"):
            heading = next((p for p in after if p[1].start == span.end + 1 and p[1].kb_id_ != "professional"), None)
            if heading is not None:
                return self._person_subject(heading, referents)
        before = before + [p for p in self._object_pronouns if p[1].end <= span.start and span.start - p[1].end <= 2]
        before.sort(key=lambda p: p[1].start)
        # "HER PARTNER (STEP DAD TO TYLER, 9, AND GRACE, 12) HAS BEEN REPORTED MISSING": not the people in the aside.
        k = skip_back(doc, span.start - 1, _MISSING_GAP_WORDS)
        if k >= 0 and doc[k].text == ")":
            opening = next((j for j in range(k - 1, max(-1, k - 30), -1) if doc[j].text == "("), None)
            if opening is not None and any(p[1].end <= opening for p in before):
                before = [p for p in before if p[1].end <= opening]
                nearest = before[-1]
                if fits(nearest[1]):
                    return self._person_subject(nearest, referents)

        # ("her adult son (30) is a MISPER": counted from the end of the bracket after them.)
        near = [(gap, p) for gap, p in ((span.start - _past_bracket(doc, p[1].end), p) for p in before)
                if gap <= MISSING_WINDOW and fits(p[1])]
        # ("... and did not come back, dad drove round looking": not one after a comma, who starts another clause.)
        near += [(p[1].start - span.end, p) for p in after if fits(p[1]) and p[1].start - span.end <= MISSING_WINDOW
                 and not any(t.text == "," for t in doc[span.end : p[1].start])]
        if near:
            return self._person_subject(min(near, key=lambda x: x[0])[1], referents)
        return ("child", None) if has_child else ("unknown", None)

    @staticmethod
    def _person_subject(person: Tuple[int, Span], referents: Dict[int, Optional[Span]]) -> Tuple[str, Optional[List[int]]]:
        idx, span = person
        if span.label_ == PRONOUN_LABEL:
            target = referents.get(idx)
            if target is None:
                return "unknown", [span.start, span.end]
            span = target
        return ("child" if span.label_ == "CHILD" else "adult"), [span.start, span.end]

    def _gender(self, span: Span) -> Optional[str]:
        text = self._text_of.get((span.start, span.end)) or span.text.lower()
        g = self.gender.get(text)
        if g is None:
            g = self._name_gender.get(text)
        if g is None and span.kb_id_ not in ("named", "professional") and span.label_ != PRONOUN_LABEL:
            # "two adult males", "older lads": a plural is never he or she.
            last = text.rsplit(" ", 1)[-1]
            g = self.gender.get(last)
            if g is None and last.endswith("s") and not last.endswith(("ss", "'s", "’s")) and len(last) > 3:
                g = "p"
        return g

    def _names_gender(self, doc: Doc, people: List[Tuple[int, Span]]) -> Dict[str, str]:
        """A name takes the gender of the word that introduces it ("daughter Amber", "Mr Holloway",
        "Mum (Hollie, 26)", "Tyler Ross"), wherever else it recurs."""
        out: Dict[str, str] = {}
        previous: Optional[Span] = None
        for _, span in people:
            if span.label_ == PRONOUN_LABEL:
                continue
            text = span.text.lower()
            # ("foster carer Mrs Goode: Jordan (14) absconded": a name after another name and a colon is someone else.)
            if (span.kb_id_ == "named" and previous is not None and not (previous.kb_id_ == "named" and span.start > previous.end)
                    and text not in self.gender and text not in out
                    and span.start - previous.end <= 1 and all(t.text in NAME_JOINERS for t in doc[previous.end : span.start])):
                g = self.gender.get(previous.text.lower()) or out.get(previous.text.lower())
                if g in ("f", "m"):
                    out[text] = g
            previous = span
        return out

    def _resolve_pronouns(self, people: List[Tuple[int, Span]], sentence: List[int]) -> Dict[int, Optional[Span]]:
        """Each pronoun's referent, by gender and salience.

        A pronoun goes to the first person of its sentence, else of the last
        sentence that names one (the centre of attention). Professionals are
        chosen only when nobody else fits: narratives are written by them,
        about others.
        """
        out: Dict[int, Optional[Span]] = {}
        # (where, who): each person named, and each subject pronoun once resolved (it keeps its referent
        # the centre of attention: "Keeley ... She said ... She met Zee through a friend's story. She ...").
        named: List[Tuple[Span, Span]] = []
        # (Each person's gender and company, worked out once: every pronoun weighs everyone named before it.)
        gender = _per_mention(self._gender)
        accompanies = _per_mention(lambda w: _accompanies(w.doc, w))

        for idx, span in people:
            if span.label_ != PRONOUN_LABEL:
                named.append((span, span))
                continue
            g = self._gender(span)
            fits = [(w, p) for w, p in named if g is None or gender(p) in (None, g)]
            lay = [x for x in fits if x[1].kb_id_ != "professional"] or fits
            # "located ... with two adult males": who came along is not the centre of attention.
            lay = [x for x in lay if not accompanies(x[0])] or lay
            if not lay:
                out[idx] = None
                continue
            if span.text.lower() in NON_AGENT_PRONOUNS:
                # "Mum reported her missing": her is not Mum.
                lay = [x for x in lay if not (sentence[x[0].start] == sentence[span.start] and span.start - x[0].end <= OBJECT_GAP)] or lay
            segment = [x for x in lay if self._segment[x[0].start] == self._segment[span.start] and x[0].end <= span.start]
            here = [x for x in lay if sentence[x[0].start] == sentence[span.start]]
            if segment or here:
                # "Lisa's daughter Mia (7) fell on the stairs, she was limping": not the owner, the one owned.
                local = segment or here
                if span.text.lower() in SUBJECT_PRONOUNS:
                    local = [x for x in local if not _is_possessor(span.doc, x[0])] or local
                # "Mum reported Poppy has a bruise on her cheek": her is not the one reporting (but "who she believes" is).
                while span.text.lower() in NON_AGENT_PRONOUNS and len(local) > 1 and _reports(span.doc, local[0][0]):
                    local = local[1:]
                target = local[0][1]
            else:
                last = sentence[lay[-1][0].start]
                there = [x for x in lay if sentence[x[0].start] == last]
                # "... then hit her son Ty (9). Red marks to his legs.": a child just hurt is the centre of attention.
                hurt = [x for x in there if x[1].label_ == "CHILD" and self._victim(span.doc, x[0])]
                target = (hurt[-1] if hurt else self._centre(lay, sentence)[0])[1]
            out[idx] = target
            if span.text.lower() in SUBJECT_PRONOUNS:
                named.append((span, target))
        return out

    # -- serialisation ----------------------------------------------------

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        return util.to_bytes({"cues": lambda: srsly.json_dumps(self._serialisable())}, exclude)

    def from_bytes(self, data: bytes, *, exclude=tuple()) -> "ContextAnnotator":
        self.clear()
        util.from_bytes(data, {"cues": lambda b: self.add_cues(srsly.json_loads(b))}, exclude)
        return self

    def to_disk(self, path: Union[str, Path], *, exclude=tuple()) -> None:
        util.to_disk(util.ensure_path(path), {"cues.jsonl": lambda p: srsly.write_jsonl(p, self._serialisable())}, exclude)

    def from_disk(self, path: Union[str, Path], *, exclude=tuple()) -> "ContextAnnotator":
        self.clear()
        util.from_disk(util.ensure_path(path), {"cues.jsonl": lambda p: self.add_cues(list(srsly.read_jsonl(p)))}, exclude)
        return self


def spell_slots(slots: Iterable[List[List[str]]]) -> List[str]:
    """Every phrase a slot list spells: one choice per slot, "" for a slot left out.

    ``[["at"], ["", "their"], ["nan", "gran"]]`` spells "at nan", "at gran",
    "at their nan", "at their gran": the reach of a token pattern with optional
    tokens, matched by the PhraseMatcher (a Matcher costs a Token object per
    token of every record).
    """
    out: List[str] = []
    for phrase in slots:
        out += [" ".join(w for w in words if w) for words in itertools.product(*phrase)]
    return list(dict.fromkeys(p for p in out if p))


def blank_context() -> Dict[str, Any]:
    return {"negated": False, "hypothetical": False, "historical": False, "absent": False, "present": False, "excluded": False,
            "subject": "unknown", "subject_span": None, "cues": []}


def _boundaries(doc: Doc) -> Tuple[List[int], List[int], List[bool], Set[int]]:
    """Per token: sentence number, clause number, and whether it is a soft boundary; and the soft boundaries that
    offer an alternative ("or", "nor"), which carry a negation on."""
    strings = doc.vocab.strings
    orth, lower, spacy_, is_space, like_num = doc.to_array(["ORTH", "LOWER", "SPACY", "IS_SPACE", "LIKE_NUM"]).T.tolist()
    sentence: List[int] = []
    clause: List[int] = []
    soft: List[bool] = []
    alternatives: Set[int] = set()
    s = c = 0
    n = len(orth)
    for i in range(n):
        o = orth[i]
        newline = bool(is_space[i]) and "\n" in strings[o]
        sentence.append(s)
        clause.append(c)
        # "4 or 5 times", "aged 4 and 7": a list of numbers is no boundary.
        soft.append(lower[i] in _SOFT_HASHES and not (0 < i < n - 1 and like_num[i - 1] and like_num[i + 1]))
        if lower[i] in _ALTERNATIVE_HASHES:
            alternatives.add(i)
        if o in _SENTENCE_END_HASHES or newline:
            s += 1
            c += 1
        elif o in _CLAUSE_END_HASHES or (o in _DASH_HASHES and spacy_[i] and i > 0 and spacy_[i - 1]):
            c += 1
    return sentence, clause, soft, alternatives


def _subjectless_sentences(doc: Doc, sentence: List[int], openers: frozenset) -> Dict[int, int]:
    """Sentence number -> the token of its opening word, for sentences that open with their subject left out
    ("0340 LOCATED BY PATROL ...", "Then absconded ..."): times, numbers and "then" before the word pass."""
    out: Dict[int, int] = {}
    previous = -1
    n = len(doc)
    for i, s in enumerate(sentence):
        if s == previous:
            continue
        previous = s
        j = i
        while j < n and sentence[j] == s and (doc[j].is_punct or doc[j].is_space or doc[j].like_num
                                               or any(c.isdigit() for c in doc[j].text) or doc[j].lower_ in _OPENING_FILLERS):
            j += 1
        if j < n and sentence[j] == s and doc[j].lower_ in openers:
            out[s] = j
    return out


_OPENING_FILLERS = frozenset({"then", "later", "subsequently", "eventually", "finally", "and", "hrs", "am", "pm"})


def _segments(doc: Doc, clause: List[int]) -> List[int]:
    """Per token: the stretch of its clause between commas (a finer unit for who-did-what)."""
    marks = {doc.vocab.strings.add(","), doc.vocab.strings.add(":")}
    out: List[int] = []
    n = 0
    previous = None
    for i, orth in enumerate(doc.to_array("ORTH").tolist()):
        if previous is not None and clause[i] != previous:
            n += 1
        out.append(n)
        if orth in marks:
            n += 1
        previous = clause[i]
    return out


def _hashes(words) -> frozenset:
    from spacy.strings import hash_string

    return frozenset(hash_string(w) for w in words)


_SOFT_HASHES = _hashes(SOFT_BOUNDARY)
_ALTERNATIVE_HASHES = _hashes(("or", "nor"))
_SENTENCE_END_HASHES = _hashes(SENTENCE_END)
_CLAUSE_END_HASHES = _hashes(CLAUSE_END)
_DASH_HASHES = _hashes(("-", "--"))


def _is_possessor(doc: Doc, span: Span) -> bool:
    """"IP's son": the IP only qualifies the son."""
    return ((span.end < len(doc) and doc[span.end].lower_ in ("'s", "’s", "'")) or span[-1].lower_.endswith(("'s", "’s"))
            or span.id_ == "age.named_possessive")


def _unknown_name(tok) -> bool:
    """A capitalised word that reads as the name of someone whose age we do not know ("Jess says")."""
    text = tok.text
    return tok.is_alpha and len(text) > 1 and text[0].isupper() and text[1:].islower() and not tok.is_stop and not tok.is_sent_start


def _accompanies(doc: Doc, person: Span) -> bool:
    """"attended with his foster carer", "found by a member of public": a companion or finder, not the one hurt."""
    return linked_by(doc, person, COMPANION_LINKERS, _DETERMINERS | TITLES | _QUANTIFIERS)


def _past_reporters(doc: Doc, people: List[Tuple[int, Span]], keep_child: bool = False,
                    referents: Optional[Dict[int, Optional[Span]]] = None) -> List[Tuple[int, Span]]:
    """``people`` from the first who does not only report ("Mother Chantelle (22) reports baby Ruby ..."), keeping the last.

    With ``keep_child``, a child who tells (or a pronoun ``referents`` give to one) is kept: a finding told of
    by the child is most often their own hurt ("Pupil disclosed ... Red welts", "LIMPING, HE TOLD MUM HE FELL").
    """
    k = 0
    while k < len(people) - 1:
        n = k + 1
        # "Mother Chantelle": a word for a person and their name are one reporter.
        while n < len(people) - 1 and people[n][1].start == people[n - 1][1].end:
            n += 1
        idx, who = people[n - 1]
        if who.label_ == PRONOUN_LABEL and referents:
            who = referents.get(idx) or who
        if (keep_child and who.label_ == "CHILD") or not _reports(doc, people[n - 1][1]):
            break
        k = n
    return people[k:]


def _per_mention(fn: Callable[[Span], Any]) -> Callable[[Span], Any]:
    """``fn``, worked out once per mention (by its token bounds) for as long as the returned function lives."""
    cache: Dict[Tuple[int, int], Any] = {}

    def get(span: Span) -> Any:
        key = (span.start, span.end)
        if key not in cache:
            cache[key] = fn(span)
        return cache[key]

    return get


def _past_bracket(doc: Doc, k: int) -> int:
    """``k``, or just past the bracket that opens there ("Mum (Stacey)", "son (30)")."""
    if k < len(doc) and doc[k].text == "(":
        return next((j + 1 for j in range(k, min(len(doc), k + 8)) if doc[j].text == ")"), k)
    return k


def _reports(doc: Doc, person: Span) -> bool:
    """The person is followed by a reporting verb ("mum says", "Mum (Stacey) reported"): what comes after is about someone else."""
    k = _past_bracket(doc, person.end)
    return any(t.lower_ in REPORTING_WORDS for t in doc[k : k + 3])
