"""Ages of the people in a narrative, and which mention each age belongs to.

Ages come in many shapes in incident logs: ``15yo``, ``14yrs``, ``her son
(6)``, ``chn (4 and 7)``, ``aged 4 and 7``, ``3/12`` (months), ``6/52``
(weeks), ``18 months``, ``DOB 03/04/2012`` (only when the record dates itself).
Each age found is attached to the nearest person mention, so "her son, 26"
makes that son an adult, and a name given an age ("Tia (6)") becomes a CHILD
mention wherever it recurs. Results are plain dicts in ``doc._.sg_ages``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Optional, Set, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from .. import resources
from .entities import DEFAULT_SPANS_KEY, MENTION_LABELS, PERSON_LABELS, TITLES, linked_by, skip_forward
from .spans import read_spans, write_spans

ADULT_AGE = 18
#: Sentence and clause ends: an age never belongs to a person on the other side of one ("the DSL. Leon (14)").
_AGE_STOPS = frozenset({".", "!", "?", ";", "|"})
#: Words before a span of weeks or months that make it a duration ("for 2/52", "f/u 4/52", "review 6/12").
DURATION_WORDS = frozenset({"for", "over", "past", "last", "next", "within", "after", "since", "every", "f/u", "fu", "review",
                            "rv", "reviewed", "by", "x", "lasting", "ago", "until", "till", "each", "per", "u", "v"})

#: Words after a span of weeks or months that make it a duration ("3/52 ago").
DURATION_AFTER_WORDS = frozenset({"ago", "later", "previously", "prior", "earlier", "before"})

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20,
}
_NUM = r"(?:\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"
#: "4/7" lists two ages; "15/40" is weeks of a pregnancy.
_SEP = r"\s*(?:,|&|\+|and|\/(?!40\b))\s*"
_LIST = rf"{_NUM}(?:{_SEP}{_NUM})*"
_YEARS = r"(?:yo|y\.?o\.?|y/o|yoa|yrs?|years?|yr)"
_MONTHS = r"(?:months?|mths?|mnths?|mos?|/12)"
_WEEKS = r"(?:weeks?|wks?|/52)"
_DAYS = r"(?:days?|/7)"
_MONTH_NAMES = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"

# Each regex gives a list of numbers (group "n") and a unit; the rule id says which.
#: After a house number: one or two words, then a word for a street ("17 Coronation Rd", "4 Elm Tree Close").
_NOT_A_STREET = (r"(?!\s+(?:[a-z'’]+\s+){1,2}(?:rd|road|st|street|ave|avenue|close|cl|lane|ln|way|drive|dr|court|ct|crescent|cres|"
                 r"terrace|tce|grove|gardens|gdns|place|pl|row|walk|hill|view|square|sq|mews|rise|green|parade)\b)")
AGE_REGEXES: List[Tuple[str, "re.Pattern[str]", str]] = [
    ("age.dob", re.compile(r"\b(?:dob|d\.o\.b\.?|date of birth)\s*[:\-]?\s*(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{2,4})\b", re.I), "dob"),
    ("age.days_old", re.compile(rf"\b(?P<n>{_LIST})\s*-?\s*{_DAYS}\s*-?\s*old\b", re.I), "days"),
    ("age.weeks", re.compile(rf"\b(?P<n>{_LIST})\s*-?\s*(?:{_WEEKS}\s*-?\s*old\b|/52(?![/\d]))", re.I), "weeks"),
    # "Amelia is 7/12": the copula lets the name before it own the age.
    ("age.is_months", re.compile(r"\b(?:is|was)\s+(?P<n>\d{1,2})\s*(?:/12(?![/\d])|(?:months?|mths?)\b(?!\s*-?\s*old))(?!\s*(?:ago|pregnant|later|since))", re.I), "months"),
    ("age.months", re.compile(rf"\b(?P<n>{_LIST})\s*-?\s*(?:{_MONTHS}\s*-?\s*old\b|/12(?![/\d]))", re.I), "months"),
    # "Maisie 18 months", "son Teddy, 8 months": months without "old" straight after a name (checked below).
    ("age.months_after_name", re.compile(r"(?<=[A-Za-z])(?:,\s*|\s+)(?P<n>\d{1,2})\s*(?:months?|mths?|mnths?)\b(?!\s*-?\s*old)(?!\s+(?:ago|later|earlier|previously|since|before|prior|pregnant))", re.I), "months_attached"),
    # "Oscar 10 days", "Maisie, 6 weeks": a baby's days or weeks straight after a name (checked below).
    ("age.weeks_after_name", re.compile(r"(?<=[A-Za-z])(?:,\s*|\s+)(?P<n>\d{1,2})\s*(?:days?|weeks?|wks?)\b(?!\s*-?\s*old)(?!\s+(?:ago|later|earlier|previously|since|before|prior|pregnant|gestation|in\b|into\b))", re.I), "weeks_attached"),
    ("age.bracket_months", re.compile(rf"(?<=\()\s*(?P<n>{_LIST})\s*-?\s*(?:months?|mths?|mnths?|/12)\b", re.I), "months"),
    # (Not "(24 wks pregnant)": a pregnancy's weeks.)
    ("age.bracket_weeks", re.compile(rf"(?<=\()\s*(?P<n>{_LIST})\s*-?\s*(?:weeks?|wks?|/52|days?)\b(?!\s*(?:pregnant|preg\b|gestation|gest\b))", re.I), "weeks"),
    ("age.aged_months", re.compile(rf"\baged?\s+(?P<n>{_LIST})\s*{_MONTHS}", re.I), "months"),
    ("age.years_old", re.compile(rf"\b(?P<n>{_LIST})\s*-?\s*(?:{_YEARS}\s*-?\s*(?:old|of age)|yo|y\.o\.?|y/o|yoa)(?![a-z])", re.I), "years"),
    # "Patient: Ruby HARLOW, 7y", "Oscar 11y": years as a bare y glued to the number, as triage systems write them.
    ("age.years_y", re.compile(r"\b(?P<n>\d{1,2})y(?![a-z0-9/'’])(?!\s*(?:ago|later|earlier|previously|before|since))", re.I), "years"),
    ("age.aged", re.compile(rf"\b(?:aged?|ages|age:)\s*(?P<n>{_LIST})(?!\s*(?:{_MONTHS}|{_WEEKS}|{_DAYS}|%|:\d))\b", re.I), "years"),
    ("age.bracket", re.compile(rf"\(\s*(?P<n>{_LIST})\s*(?:{_YEARS})?\s*(?:,[^()]{{0,25}})?\)", re.I), "years_attached"),
    ("age.is_number", re.compile(rf"\b(?:is|was|are|were)\s+(?:both\s+)?(?P<n>{_LIST})\b(?!\s*(?:hrs|am|pm|%|:|/|\.\d|mins?|minutes|hours|days|weeks|months|years|yrs|times|x\b|th|st|nd|rd|miles|metres|cm|kg|mg|ml))", re.I), "years_attached"),
    ("age.years_after_person", re.compile(rf"(?<=[A-Za-z])[ ,]\s*(?P<n>\d{{1,2}})\s*(?:yrs?|years?)\b(?!\s*(?:ago|later|earlier|previously|since|before|prior))", re.I), "years_attached"),
    ("age.number_after_name", re.compile(r"(?<=[A-Za-z]) (?P<n>\d{1,2})(?=\s*[,;)]|\s+(?:yrs?|years?|yo|who)\b)"), "years_attached"),
    # "Grace Whitfield 13 left home": given name and surname opening a sentence, then a bare number (checked below).
    ("age.number_after_full_name", re.compile(r"(?<=[A-Za-z]) (?P<n>1[0-7]|[1-9])(?= [A-Za-z]{3,})(?! (?:hrs|mins|minutes|days|weeks|months|years|yrs|times|miles|metres|hours))", re.I), "years_attached"),
    # (Not "partner Craig Tunstall, 17 Coronation Rd": a house number.)
    ("age.comma_after_person", re.compile(r"(?<=[A-Za-z]),\s*(?P<n>\d{1,2})\b(?![/:.,]\d|\s*(?:hrs|am|pm|%|mins?|minutes|times|x\b|officers|calls|days|weeks|months|years|yrs))" + _NOT_A_STREET, re.I), "years_attached"),
]

#: A person's children, named after a possessive ("Lisa's children").
OFFSPRING_WORDS = frozenset({"son", "sons", "daughter", "daughters", "children", "chn", "kids", "baby", "babies", "grandson",
                             "granddaughter", "grandchildren", "stepson", "stepdaughter", "child"})
#: From this age, a person's sons and daughters are taken to be grown up when no child's age is stated.
ELDERLY_AGE = 60
OFFSPRING_OF_ELDERLY = frozenset({"son", "sons", "daughter", "daughters"})
#: Words that make a relation word a grown-up ("adult son", "grown up daughter").
GROWN_UP_WORDS = frozenset({"adult", "grown", "grown-up"})
#: Surnames with an apostrophe ("O'Neill", "D'Souza"), which are not alphabetic to spaCy.
APOSTROPHE_NAME = re.compile(r"^[A-Z]['’][A-Z][a-z]+$")
#: What may follow an age given after a comma ("KIANA WALSH, 14.", "LEWIS, 25, WHO").
_AGE_ENDS = frozenset({",", ".", ";", ")", ":", "-", ""})
#: Spans whose words are never a name in an ALL-CAPS record.
NOT_NAME_LABELS = frozenset({"VOICE", "MISSING", "REFERRAL", "DA_VIOLENCE", "DEMEANOUR"})
#: A pupil's school year beside a name: "Nadia (Y11)", "Imani (16, Y11)", "Y10 Deshawn".
SCHOOL_YEAR_BEFORE = re.compile(r"\((?:\s*\d{1,2}\s*,)?\s*(?i:y|yr|year)\s*\d{1,2}\b[^()]{0,20}\)")
#: "kian y10 in today", "Kian Y10", "Kayden, Y8": a school year straight after a name, without brackets.
SCHOOL_YEAR_BARE = re.compile(r"(?:(?<=[A-Za-z] )|(?<=[A-Za-z], ))(?i:y|yr)\s?\d{1,2}\b")
#: Words after a name that make it a former pupil, now grown up.
FORMER_PUPIL_WORDS = frozenset({"ex", "ex-pupil", "former", "formerly", "now", "left"})
#: Words by which a record is a school's ("attendance", "in class", "form tutor").
SCHOOL_RECORD = re.compile(r"(?i)\b(?:attendance|in class|pupil|form tutor|exclusion|late again|back in school|not in school|"
                           r"absent from school|first day calling|registration|in lessons?)\b")
#: "Oscar, Reception class", "Oscar (Reception)": the first school year, named in words.
SCHOOL_YEAR_RECEPTION = re.compile(r"(?:(?<=[A-Za-z], )|(?<=[A-Za-z] \())(?i:reception)\b")
#: "Chloe is in Y8", "Kayden in Y4", "Noah is in reception": a pupil's class after their name.
SCHOOL_YEAR_IS = re.compile(r"(?<=[A-Za-z] )(?:(?i:is|was)\s+)?(?i:in)\s+(?:(?i:y|yr|year)\s?\d{1,2}\b|(?i:reception)\b)")
SCHOOL_YEAR_AFTER = re.compile(r"\b(?:Y|YR|Yr|Year)\s?\d{1,2}\b(?=\s+[A-Z])")
#: Where a number (digits or a word) starts: the age regexes that begin with one are tried only there.
_FIRST_LETTERS = "".join(sorted({w[0] for w in _NUMBER_WORDS}))
NUMBER_START = re.compile(rf"\d{{1,2}}|\b(?=[{_FIRST_LETTERS}])(?:" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
_ANCHOR = "\\b(?P<n>"
#: Word-led age regexes and the words (lower case) one of which each cannot match without: skipped on a record with none.
_NEEDS = {
    "age.dob": ("dob", "d.o.b", "date of birth"),
    "age.is_months": ("/12", "month", "mth"),
    "age.months_after_name": ("month", "mth", "mnth"),
    "age.weeks_after_name": ("day", "week", "wk"),
    "age.bracket_months": ("month", "mth", "mnth", "/12"),
    "age.bracket_weeks": ("week", "wk", "/52", "day"),
    "age.aged_months": ("age",),
    "age.aged": ("age",),
    "age.years_after_person": ("yr", "year"),
}
#: Number-led age regexes and the character their match opens with, just before a number (after spaces for a comma):
#: tried only there, as the ``_ANCHOR`` ones are tried only where a number starts.
_LED_BY = {"age.number_after_name": " ", "age.number_after_full_name": " ", "age.comma_after_person": ","}

DATE_REGEXES = [
    re.compile(r"\b(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})\b"),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{_MONTH_NAMES})[a-z]*\.?,?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b(?P<mon>{_MONTH_NAMES})[a-z]*\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b", re.I),
]
_MONTH_NUM = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}


def _to_int(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word.lower()]


def _numbers(text: str) -> List[int]:
    return [_to_int(w) for w in re.findall(_NUM, text, flags=re.I)]


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if n < 50 and len(y) == 2 else (n + 1900 if len(y) == 2 else n)


def _date(match: "re.Match[str]") -> Optional[dt.date]:
    g = match.groupdict()
    try:
        month = _MONTH_NUM[g["mon"][:3].lower()] if g.get("mon") else int(g["m"])
        return dt.date(_year(g["y"]), month, int(g["d"]))
    except (ValueError, KeyError):
        return None


def _years_between(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@Language.factory(
    "safeguard_ages",
    default_config={"spans_key": DEFAULT_SPANS_KEY, "attach_window": 3},
)
def make_age_finder(nlp: Language, name: str, spans_key: str, attach_window: int) -> "AgeFinder":
    return AgeFinder(nlp, name, spans_key=spans_key, attach_window=attach_window)


class AgeFinder:
    """Find ages, attach them to person mentions, and add named-child mentions."""

    def __init__(self, nlp: Language, name: str, *, spans_key: str, attach_window: int):
        if attach_window < 1:
            raise ValueError(f"{name}: attach_window must be at least 1, got {attach_window}")
        self.name = name
        self.spans_key = spans_key
        self.attach_window = attach_window
        self.not_names = frozenset(w["word"] for w in resources.read_jsonl("not_names.jsonl"))
        #: Given names known to the gender lexicon: a name even when typed in lower case ("ethan (12)").
        self.given_names = frozenset(w for g in resources.read_jsonl("gender.jsonl") if g.get("kind") == "given_name" for w in g["words"])
        self._strings = nlp.vocab.strings
        if not Doc.has_extension("sg_ages"):
            Doc.set_extension("sg_ages", default=None)

    def __call__(self, doc: Doc) -> Doc:
        text = self._text = doc.text
        self._group = group = read_spans(doc, self.spans_key)
        people = [s for s in group if s.label_ in PERSON_LABELS]
        head = text[:400]
        self._caps = head.upper() == head and any(c.isalpha() for c in head)
        #: Tokens a rule has matched as a mention: never a name, and never taken by a named person's mention.
        self._occupied = frozenset(i for s in group if s.label_ in MENTION_LABELS for i in range(s.start, s.end))
        self._mention_tokens = set(self._occupied)
        if self._caps:
            # "MUM STATES KAI (7)": in capitals a speech verb looks like a name; no word a rule has matched is one.
            self._mention_tokens |= {i for s in group if s.label_ in NOT_NAME_LABELS for i in range(s.start, s.end)}
        found: List[Dict[str, Any]] = []
        taken: List[Tuple[int, int]] = []
        incident_date: Optional[dt.date] = None
        dob_spans = []
        starts = self._starts = [m.start() for m in NUMBER_START.finditer(text)]
        if not starts:
            doc._.sg_ages = []
            self._update_mentions(doc, [], people)
            return doc
        lower = text.lower()
        for rule_id, regex, unit in AGE_REGEXES:
            if regex.pattern.startswith(_ANCHOR):
                matches = _matches_at(regex, text, starts)
            elif rule_id in _LED_BY:
                matches = _matches_at(regex, text, _lead_positions(text, starts, _LED_BY[rule_id]))
            elif rule_id in _NEEDS and not any(w in lower for w in _NEEDS[rule_id]):
                continue
            else:
                matches = regex.finditer(text)
            for m in matches:
                start, end = m.span()
                if any(start < e and end > s for s, e in taken):
                    continue
                span = doc.char_span(start, end, alignment_mode="expand")
                if span is None:
                    continue
                if unit in ("months", "months_attached", "weeks", "weeks_attached", "days") and (
                        (span.start > 0 and doc[span.start - 1].lower_ in DURATION_WORDS)
                        or (span.end < len(doc) and doc[span.end].lower_ in DURATION_AFTER_WORDS)):
                    # "withdrawn for 2/52", "review 6/12", "stopped her meds 3/52 ago": how long, not how old.
                    continue
                if unit == "dob":
                    dob_spans.append((m, span, rule_id))
                    taken.append((start, end))
                    continue
                person = self._attach(span, people, unit)
                name = self._name_before(doc, span)
                if rule_id in ("age.is_number", "age.is_months") and self._pronoun_opens_clause(doc, span.start - 1):
                    # "I saw Chantelle at 1400, she is 15": the name the pronoun stands for, not the person before it.
                    named = self._name_earlier_in_sentence(doc, span.start - 1)
                    if named is not None:
                        person, name = None, named
                if (rule_id == "age.number_after_name" and person is not None and name is None
                        and person.end < span.start and doc[span.start - 1].lower_ not in ("and", "&", "or")):
                    # "I arrived at Flat 2, 8 Harrow Lane", "spoken to by DSL Mon period 2, no concerns": a number
                    # after a word that is no name, away from the person, is nobody's age (but "Both boys, 4 and 2").
                    continue
                if unit in ("months_attached", "weeks_attached"):
                    # Only a name right before it: "in care 18 months" is how long, not how old; and not a titled
                    # adult's ("with Ms Grant, 3 weeks in").
                    if name is None or (name.start > 0 and doc[name.start - 1].lower_ in TITLES):
                        continue
                    person = None
                if rule_id == "age.number_after_full_name":
                    if not self._name_opens_sentence(doc, name):
                        continue
                    person = None
                # "Mum present with Ellis (6)": a name right before the age, past the person, is closer than mum;
                # "son Kai (26)": a name the person introduces is theirs.
                # "CHANTELLE MOORE 15YO DISCLOSED TO FORM TUTOR": a name right before the age beats a person after it.
                if (person is not None and name is not None and person.start >= span.end
                        and all(t.text in ("(", ":", ",", "-") for t in doc[name.end : span.start])):
                    person = None
                if person is not None and not (name is not None and name.start > person.end and not all(
                        t.text in ("(", ":", ",", "-") for t in doc[person.end : name.start])):
                    name = None
                else:
                    person = None
                    if name is None and unit in ("years_attached", "months_attached", "weeks_attached"):
                        continue
                    if (self._caps and rule_id == "age.comma_after_person" and text[m.end():].lstrip()[:1] not in _AGE_ENDS
                            and not any(t.lower_ in self.given_names for t in name)):
                        # "CUTS TO L FOREARM, SOME HEALING, 3 FRESH ONES": in capitals any word looks like a name; a
                        # number after a comma is an age when it ends its phrase ("JAMIE, 9, DIDN'T") or follows a given name.
                        continue
                values = [self._in_years(n, unit) for n in _numbers(m.group("n"))]
                if not values or any(v > 120 for v in values):
                    continue
                taken.append((start, end))
                found.append(self._record(span, values, rule_id, person, name))
        if dob_spans:
            dob_chars = {(m.start(), m.end()) for m, _, _ in dob_spans}
            for regex in DATE_REGEXES:
                for m in regex.finditer(text):
                    if any(s <= m.start() < e for s, e in dob_chars):
                        continue
                    incident_date = _date(m)
                    if incident_date:
                        break
                if incident_date:
                    break
            for m, span, rule_id in dob_spans:
                born = _date(m)
                if born is None or incident_date is None or born > incident_date:
                    continue
                person = self._attach(span, people, "dob")
                name = None if person is not None else self._name_before(doc, span)
                found.append(self._record(span, [_years_between(born, incident_date)], rule_id, person, name))
        found.sort(key=lambda a: a["start"])
        doc._.sg_ages = found
        self._update_mentions(doc, found, people)
        return doc

    @staticmethod
    def _in_years(n: int, unit: str) -> int:
        if unit in ("months", "months_attached"):
            return n // 12
        if unit in ("weeks", "weeks_attached", "days"):
            return 0
        return n

    @staticmethod
    def _record(span: Span, values: List[int], rule_id: str, person: Optional[Span], name: Optional[Span]) -> Dict[str, Any]:
        who = person if person is not None else name
        return {
            "start": span.start_char,
            "end": span.end_char,
            "token_start": span.start,
            "token_end": span.end,
            "values": values,
            "rule": rule_id,
            "person": None if who is None else [who.start, who.end],
            "person_label": None if person is None else person.label_,
            "name": None if name is None else name.text,
        }

    def _attach(self, span: Span, people: List[Span], unit: str) -> Optional[Span]:
        """The person mention right before the age, else right after it."""
        doc = span.doc
        before = [p for p in people if p.end <= span.start and span.start - p.end <= self.attach_window
                  and not _crosses_stop(doc, p.end, span.start)]
        after = [] if unit == "years_attached" else [
            p for p in people if p.start >= span.end and p.start - span.end <= 2 and not _crosses_stop(doc, span.end, p.start)]
        # "MUM - 14YO DAUGHTER": an age glued to the person after it is theirs, not the one before the dash.
        if before and after and after[0].start == span.end and before[-1].end < span.start:
            return after[0]
        # "PT 15YO FEMALE", "a 14yo girl", "JUV 12YO M": an age glued before a word for a person is that person's
        # (M and F after an age are male and female, not mother and father).
        glued = [p for p in people if p.start == span.end and (p.kb_id_ == "generic" or p.text.lower() in ("m", "f"))]
        if glued:
            return glued[0]
        if before:
            return before[-1]
        return after[0] if after else None

    def _name_before(self, doc: Doc, span: Span) -> Optional[Span]:
        """The name just before an age ("Tia (6)", "LOUISE PARRY 14YRS", "Summer's (Y8)", "Jayden R (14)",
        "Ellie-Mae J (13)"), given name and surname, without a surname's initial."""
        i = span.start - 1
        while i >= 0 and doc[i].lower_ in (",", "-", "'s", "’s", "("):
            i -= 1
        if i >= 1 and _initial(doc[i]) and self._name_token(doc[i - 1]):
            i -= 1
        elif i >= 0 and _initial(doc[i]) and doc[i].i + 1 < len(doc) and doc[doc[i].i + 1].text == "(" and not self._caps:
            # "J (11) attended w mum": a child known by an initial.
            return doc[i : i + 1]
        end = i + 1
        words = 0
        while i >= 0 and words < 2:
            # "evie-mae (13)", "Ellie-May Cross (13)": a given name with a second part the name test refuses.
            j = i - 2 if i >= 2 and self._hyphen_compound(doc, i) else i
            if not self._name_token(doc[j]) and not (words == 0 and self._surname_after_given(doc, j)):
                break
            i = j
            words += 1
            i -= 1
            # "Ellie-Mae": one given name in three tokens.
            while i >= 1 and doc[i].text == "-" and not doc[i].whitespace_ and not doc[i - 1].whitespace_ and self._name_token(doc[i - 1]):
                i -= 2
        if i + 1 == end and end == span.start and doc[span.start].text == "(" and i >= 0:
            # "mum rang 16:40 ellis (10)": a lower-case word right before a bracketed age is a name we do not know.
            tok = doc[i]
            if (tok.is_alpha and tok.text.islower() and len(tok.text) > 2 and not tok.is_stop
                    and tok.lower_ not in self.not_names and tok.i not in self._mention_tokens):
                return doc[i:end]
        return None if i + 1 == end else doc[i + 1 : end]

    def _hyphen_compound(self, doc: Doc, i: int) -> bool:
        """``doc[i]`` ends a hyphenated given name whose second part the name test refuses ("evie-mae", or
        "Ellie-May", where "May" is a month), glued to a listed given name."""
        last, dash, first = doc[i], doc[i - 1], doc[i - 2]
        return (last.is_alpha and dash.text == "-" and not dash.whitespace_ and not first.whitespace_
                and first.lower_ in self.given_names and (first.text.islower() == last.text.islower())
                and not self._name_token(last) and last.i not in self._mention_tokens)

    def _name_opens_sentence(self, doc: Doc, name: Optional[Span]) -> bool:
        """A listed given name (and a surname), right before the age, at the start of the record or a sentence
        ("Grace Whitfield 13 left home", "Lola 11 brought in by police")."""
        if name is None or len(name) > 2 or name[0].lower_ not in self.given_names:
            return False
        k = name.start - 1
        return k < 0 or doc[k].text in (".", "-", ":", "\n") or doc[k].is_space

    def _pronoun_opens_clause(self, doc: Doc, k: int) -> bool:
        """``doc[k]`` is "she" or "he" opening a clause of its own ("..., she is 15", "and says he is 9"), not one
        inside another's report ("who said he was 16" is someone else, met online)."""
        if k < 1 or doc[k].lower_ not in ("she", "he"):
            return False
        before = doc[k - 1]
        if before.text in (",", ".") or before.lower_ == "and":
            return True
        return (before.lower_ in ("says", "said", "states", "stated") and k >= 2
                and (doc[k - 2].lower_ == "and" or self._name_token(doc[k - 2])))

    def _name_earlier_in_sentence(self, doc: Doc, k: int) -> Optional[Span]:
        """The nearest name before token ``k`` in its sentence, or None."""
        i = k - 1
        while i >= 0 and k - i <= 15 and doc[i].text not in (".", "!", "?", "\n") and not doc[i].is_space:
            if self._name_token(doc[i]) and not (i > 0 and doc[i - 1].lower_ in TITLES):
                return doc[i : i + 1]
            i -= 1
        return None

    def _surname_after_given(self, doc: Doc, j: int) -> bool:
        """"Chloe Ward (12)", "Mia Hall": a surname that is also a word ("ward", "hall") after a listed given name."""
        tok = doc[j]
        return (j >= 1 and tok.is_alpha and tok.text[:1].isupper() and tok.text[1:].islower() and not tok.is_stop
                and tok.lower_ in self.not_names and doc[j - 1].lower_ in self.given_names and self._name_token(doc[j - 1]))

    def _name_token(self, tok) -> bool:
        text = tok.text
        return ((tok.is_alpha or APOSTROPHE_NAME.match(text) is not None) and len(text) > 1
                and (text[0].isupper() or (tok.lower_ in self.given_names and text.islower()))
                and not tok.is_stop and tok.lower_ not in self.not_names and tok.i not in self._mention_tokens)

    def _names(self, doc: Doc, ages: List[Dict[str, Any]], people: List[Span]) -> Dict[str, str]:
        """Given names of people, as CHILD or ADULT, from "Tia (6)" and "daughter Ava", "IP Kirsty Bell"."""
        names: Dict[str, str] = {}
        self._professional_names = set()
        self._lower_names = set()
        stated = {tuple(a["person"]): max(a["values"]) for a in ages if a["person"]}
        child_ends = {p.end for p in people if p.label_ == "CHILD"} | {
            a["token_end"] for a in ages if a["person"] and max(a["values"]) < ADULT_AGE}
        for person in people:
            i = skip_forward(doc, person.end, _BEFORE_NAME)
            if i - person.end > 1 or (self._caps and i > person.end and doc[i - 1].text != "("):
                continue
            # "15YO MALE DANIEL": the name is of the age the word was given, not of the word's own label.
            age = stated.get((person.start, person.end))
            label = person.label_ if age is None else "CHILD" if age < ADULT_AGE else "ADULT"
            if age is None and person.kb_id_ == "generic" and person.start in child_ends:
                label = "CHILD"  # "13YO CLA FEMALE (SKYE)": the female is the child just named
            while i < len(doc) and self._looks_like_name(doc[i]):
                # (Not "He told officers Wes kicked him" after "her partner Wes": a name first given by a
                # non-professional word keeps that kind.)
                known = doc[i].lower_ in names
                names.setdefault(doc[i].lower_, label)
                if person.kb_id_ == "professional" and not known:
                    # "PC Hart", "Dr Patel": the name keeps its title's kind wherever it recurs.
                    self._professional_names.add(doc[i].lower_)
                i += 1
                while i < len(doc) and self._looks_like_name(doc[i]):
                    i += 1
                if i + 1 < len(doc) and doc[i].lower_ in ("and", "&", ",") and self._looks_like_name(doc[i + 1]):
                    i += 1
                else:
                    break
        for age in ages:
            if age["rule"] in ("age.years_old", "age.aged") and max(age["values"]) < ADULT_AGE:
                after = self._name_after(doc, doc[age["token_start"] : age["token_end"]])
                if after is not None and after[0].text[1:].islower():
                    names.setdefault(after[0].lower_, "CHILD")
        years = [(m, True) for m in SCHOOL_YEAR_BEFORE.finditer(self._text)] if "(" in self._text else []
        years += [(m, False) for m in _matches_at(SCHOOL_YEAR_AFTER, self._text, _year_positions(self._text, self._starts, _YEAR_WORDS))]
        if " in " in self._text or " IN " in self._text:
            years += [(m, True) for m in SCHOOL_YEAR_IS.finditer(self._text)]
        if "eception" in self._text or "ECEPTION" in self._text:
            years += [(m, True) for m in SCHOOL_YEAR_RECEPTION.finditer(self._text)]
        years += [(m, True) for m in _matches_at(SCHOOL_YEAR_BARE, self._text, _year_positions(self._text, self._starts, _BARE_YEAR_WORDS))]
        for m, before in years:
            span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
            if span is None:
                continue
            name = self._name_before(doc, span) if before else self._name_after(doc, span)
            for tok in name if name is not None else ():
                if tok.is_alpha:
                    names.setdefault(tok.lower_, "CHILD")
                    if tok.text.islower():
                        self._lower_names.add(tok.lower_)
        if SCHOOL_RECORD.search(self._text):
            # "FIRST DAY CALLING - JAYDEN ABSENT", "Oscar late again": in a school's record a pupil is often named
            # with no age or word for a child; a listed given name no word has placed, with no title, is one.
            pupils: Set[str] = set()
            others: Set[str] = set()
            for tok in doc:
                lower = tok.lower_
                if lower not in self.given_names or lower in names or not self._looks_like_name(tok):
                    continue
                glued = tok.i > 0 and doc[tok.i - 1].text == "-" and not doc[tok.i - 1].whitespace_
                if ((tok.i > 0 and (doc[tok.i - 1].lower_ in TITLES or glued or doc[tok.i - 1].lower_ in names))
                        or any(t.lower_ in FORMER_PUPIL_WORDS for t in doc[tok.i + 1 : tok.i + 6])):
                    # (Not "Mum Kerry-Ann", "Miss Hart", nor "Courtney Harrop (now 19 ...", wherever else they recur.)
                    others.add(lower)
                else:
                    pupils.add(lower)
            names.update((name, "CHILD") for name in pupils - others)
        # "Lisa's children Sophie (9) and Alfie (6)": whoever has children is grown up, whatever word named them
        # ("her daughter Lisa"); a stated age still wins.
        for person in people:
            if (person.start >= 2 and doc[person.start - 1].lower_ in ("'s", "’s") and person.label_ == "CHILD"
                    and person[-1].lower_ in OFFSPRING_WORDS and self._looks_like_name(doc[person.start - 2])):
                names[doc[person.start - 2].lower_] = "ADULT"
        for age in ages:
            label = "CHILD" if max(age["values"]) < ADULT_AGE else "ADULT"
            span = doc[age["token_start"] : age["token_end"]]
            name = self._name_before(doc, span)
            if name is None and age["name"] is not None and age["person"]:
                name = doc[age["person"][0] : age["person"][1]]
            for tok in name if name is not None else ():
                if tok.is_alpha:
                    names[tok.lower_] = label
                    # "Amira (12) ... with the DSL Amira": named with an age, not a professional.
                    self._professional_names.discard(tok.lower_)
                    if tok.text.islower():
                        # "ethan (12)": typed in lower case, so its recurrences may be too.
                        self._lower_names.add(tok.lower_)
        return names

    @staticmethod
    def _names_child_after(doc: Doc, span: Span, names: Dict[str, str]) -> bool:
        """The word is followed, past a colon or comma, by the name of a child ("Pt: Deon, 15yo")."""
        i = skip_forward(doc, span.end, _BEFORE_NAME)
        return i > span.end and i < len(doc) and names.get(doc[i].lower_) == "CHILD"

    def _name_after(self, doc: Doc, span: Span) -> Optional[Span]:
        i = span.end
        return doc[i : i + 1] if i < len(doc) and self._name_token(doc[i]) else None

    def _looks_like_name(self, tok) -> bool:
        """Title case, or in an ALL-CAPS log a listed given name ("IP JODIE CARR"): there a word after "KIDS" is
        as likely a verb as a name."""
        return self._name_token(tok) and (tok.text[1:].islower() or (self._caps and tok.lower_ in self.given_names))

    def _update_mentions(self, doc: Doc, ages: List[Dict[str, Any]], people: List[Span]) -> None:
        """Relabel mentions by their stated age and add mentions of named people.

        "her son, 26" is an adult and "the victim (17)" a child, whatever the
        word; a name given an age or introduced by a relation word ("daughter
        Ava") is a person wherever it recurs.
        """
        relabel: Dict[Tuple[int, int], str] = {}
        for age in ages:
            label = "CHILD" if max(age["values"]) < ADULT_AGE else "ADULT"
            if age["name"] is None and age["person"] and age["person_label"] != label:
                relabel[tuple(age["person"])] = label
        names = self._names(doc, ages, people)
        # "Pt" is whoever the note is about: a child when the first person it names is one.
        first = next((s for s in self._group if s.label_ in PERSON_LABELS and s.kb_id_ not in ("patient", "professional")), None)
        patient = next((s for s in self._group if s.kb_id_ == "patient"), None)
        # "Pt attended with daughter Ruby (2)": the child came with the patient, who is not a child.
        accompanied = first is not None and patient is not None and patient.start < first.start and _companion(doc, first)
        # "15yo female ... Pt told me": the first person counts with the label their age gives them.
        first_label = None if first is None else relabel.get((first.start, first.end), first.label_)
        lone_first = next((a for a in ages if a["person"] is None), None)
        # ("Ward 7 nursing notes - Noah Fielding, DOB 03/02/2012 ... missing patient policy": a child named with an age
        # before anyone else is named.)
        named_first = next((a for a in ages if a["name"] is not None), None)
        child_note = not accompanied and (first_label == "CHILD" or (
            lone_first is not None and max(lone_first["values"]) < ADULT_AGE and (first is None or lone_first["token_start"] < first.start))
            or (named_first is not None and max(named_first["values"]) < ADULT_AGE and _named_before(named_first, first)))
        if not child_note and patient is not None:
            # "Patient: Ruby HARLOW, 7y", "Pt: Deon, 15yo male": the patient is the child named after the word.
            child_note = any(self._names_child_after(doc, s, names) for s in self._group if s.kb_id_ == "patient")
        if child_note:
            for s in self._group:
                if s.kb_id_ == "patient":
                    relabel[(s.start, s.end)] = "CHILD"
        lone = [a for a in ages if a["person"] is None and max(a["values"]) < ADULT_AGE]
        # "Adult son (27) ... son grabbed him": the relation word alone, later, is the same grown-up son.
        grown = {s.text.lower().split()[-1]: "ADULT" for s in self._group
                 if s.label_ == "ADULT" and len(s) > 1 and s[0].lower_ in GROWN_UP_WORDS}
        # "BROTHERS AGED 24 AND 27 ... ELDER BROTHER": one of grown-up brothers is grown up.
        plural_adults = {doc[a["person"][1] - 1].lower_[:-1] for a in ages
                         if a["name"] is None and a["person"] and min(a["values"]) >= ADULT_AGE
                         and doc[a["person"][1] - 1].lower_.endswith("s") and len(doc[a["person"][1] - 1]) > 3}
        # "MISPER Edna CLOUGH, 88 ... daughter informed", "ELDERLY COUPLE ... PER SON": in a record whose only stated
        # ages are of the elderly, or that says they are elderly and states none, sons and daughters are grown up.
        elderly = ((bool(ages) and min(min(a["values"]) for a in ages) >= ELDERLY_AGE)
                   or (not ages and ("elderly" in self._text or "ELDERLY" in self._text)))
        if not names and not relabel and not lone and not grown and not plural_adults and not elderly:
            return
        group = self._group
        by_word = {doc[a:b].text.lower(): label for (a, b), label in relabel.items()}
        for (a, b), label in relabel.items():
            by_word.setdefault(doc[b - 1].lower_, label)
        for word, label in grown.items():
            by_word.setdefault(word, label)
        out = []
        for s in group:
            label = relabel.get((s.start, s.end))
            if label is None and s.kb_id_ in ("relation", "generic", "parent", "partner", "relative") and s.text.lower() in by_word:
                label = by_word[s.text.lower()]
            if (label is None and s.label_ == "CHILD" and s.kb_id_ == "relation" and s.end < len(doc)
                    and names.get(doc[s.end].lower_) == "ADULT"):
                label = "ADULT"  # "her daughter Kerry 19", "his daughters Chelsea (20) and Demi (18)"
            if (label is None and s.label_ == "CHILD" and s.kb_id_ == "relation" and plural_adults
                    and s[-1].lower_ in plural_adults):
                label = "ADULT"
            if label is None and elderly and s.label_ == "CHILD" and s.kb_id_ == "relation" and s[-1].lower_ in OFFSPRING_OF_ELDERLY:
                label = "ADULT"
            if label and s.label_ in PERSON_LABELS:
                s = Span(doc, s.start, s.end, label=label, kb_id="by_age", span_id=s.id_)
            out.append(s)
        occupied = self._occupied
        if names:
            wanted = {self._strings.add(n): n for n in names}
            # "a mark on Jaydens left cheek": a child's possessive typed without its apostrophe is the same child
            # (A child's only: "Karens son" is about the son, and an adult's place is nobody's injury.)
            wanted.update({self._strings.add(n + "s"): n for n in names
                           if names[n] == "CHILD" and len(n) > 2 and not n.endswith("s") and n + "s" not in names})
            for i, lower in enumerate(doc.to_array("LOWER").tolist()):
                if lower in wanted and i not in occupied and (doc[i].text[0].isupper() or wanted[lower] in self._lower_names):
                    before = doc[i - 1] if i > 0 else None
                    if (before is not None and before.lower_ in self.given_names and names.get(before.lower_) != names[wanted[lower]]
                            and before.text[:1].isupper() and wanted[lower] not in self.given_names):
                        # "Child 1 Bella FROST ... Mum Leanne FROST answered": a family's surname after another's given name.
                        continue
                    kind = "professional" if wanted[lower] in self._professional_names else "named"
                    rule = "age.named_person" if doc[i].lower_ == wanted[lower] else "age.named_possessive"
                    out.append(Span(doc, i, i + 1, label=names[wanted[lower]], kb_id=kind, span_id=rule))
            # "Mark Tierney (34) ... MARK LOCATED": a capitalised name is the person, not an injury word.
            named_at = {s.start for s in out if s.end - s.start == 1 and s.id_ == "age.named_person" and not doc[s.start].text.islower()}
            out = [s for s in out if not (s.label_ == "INJURY" and s.end - s.start == 1 and s.start in named_at)]
        out.extend(
            Span(doc, a["token_start"], a["token_end"], label="CHILD", kb_id="age", span_id="age.child_by_age")
            for a in lone
            if not any(i in occupied for i in range(a["token_start"], a["token_end"]))
        )
        out.sort(key=lambda s: (s.start, s.end))
        write_spans(doc, self.spans_key, out)


def _named_before(age: Dict[str, Any], first: Optional[Span]) -> bool:
    """The person an age names (by name) stands before ``first``, the first other person of the record."""
    return first is None or (age["person"] is not None and age["person"][0] < first.start)


#: The words a school year opens with, before its number and at most one space ("Y9", "Yr 10", "Year 11").
_YEAR_WORDS = ("Y", "YR", "Yr", "Year")
_BARE_YEAR_WORDS = ("y", "Y", "yr", "Yr", "yR", "YR")


def _year_positions(text: str, starts: List[int], words: Tuple[str, ...]) -> List[int]:
    """Where one of ``words`` ends just before a number, or one space before it: where a school year can begin."""
    out = set()
    last_letters = {w[-1] for w in words}
    for pos in starts:
        k = pos - 1
        if k >= 0 and text[k].isspace():
            k -= 1
        if k < 0 or text[k] not in last_letters:
            continue
        for word in words:
            begin = k - len(word) + 1
            if begin >= 0 and text[begin : k + 1] == word:
                out.add(begin)
    return sorted(out)


def _matches_at(regex: "re.Pattern[str]", text: str, positions: List[int]) -> List["re.Match[str]"]:
    hits = (regex.match(text, pos) for pos in positions)
    return [h for h in hits if h is not None]


def _lead_positions(text: str, starts: List[int], lead: str) -> List[int]:
    """Where ``lead`` stands just before a number (a comma may have spaces after it)."""
    out = []
    for pos in starts:
        k = pos - 1
        if lead != " ":
            while k >= 0 and text[k].isspace():
                k -= 1
        if k >= 0 and text[k] == lead:
            out.append(k)
    return out


def _crosses_stop(doc: Doc, start: int, end: int) -> bool:
    """A sentence or clause end, or a new line, lies between the two."""
    return any(t.text in _AGE_STOPS or "\n" in t.text for t in doc[start:end])


def _initial(tok) -> bool:
    """A surname's initial: "R" in "Jayden R (14)"."""
    text = tok.text
    return len(text) == 1 and text.isupper() and text.isalpha()


#: What may stand between a word for a person and the name it introduces ("son (Kai", "Pt: Deon", "Mum - Kerry").
_BEFORE_NAME = frozenset({"(", ",", ":", "-"})
_COMPANION_DETERMINERS = frozenset({"her", "his", "their", "the", "a", "an", "both", "2", "two", "x2"})
_COMPANION_LINKERS = frozenset({"with", "w", "w/", "and", "&", "+"})


def _companion(doc: Doc, person: Span) -> bool:
    """"with daughter Ruby", "with her son": someone who came along with the one the note is about."""
    return linked_by(doc, person, _COMPANION_LINKERS, _COMPANION_DETERMINERS)
