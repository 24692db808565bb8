"""Record-level signals of SIGNALS.md, each with the evidence that decided it.

Reads the spans, their context, the ages and the voice decision, and writes
``doc._.signals`` (the SIGNALS.md dict) and ``doc._.evidence`` (for each
signal, every span weighed: accepted ones and those discarded, with why).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..schema import SIGNAL_FIELDS, empty_signals
from .ages import ADULT_AGE
from .entities import DEFAULT_SPANS_KEY, skip_forward
from .context import blank_context
from .evidence import evidence_item, rejection
from .spans import read_spans

#: Missing-episode categories that count only beside another: a departure and a finding.
SUPPORTING_MISSING = frozenset({"absent", "left", "returned", "graded"})

#: How far (tokens) an act ("informed") may stand from the service it names ("MASH").
REFERRAL_ACT_WINDOW = 8

#: Who a domestic-abuse span may be about; a child under 16 cannot be a party.
DA_MIN_AGE = 16
#: Words for a young person's partner; with a stated age of 18 or more, an adult associate.
CHILD_PARTNER_WORDS = frozenset({"boyfriend", "girlfriend", "bf", "gf", "partner", "fella"})
#: "hit me", "grabbed us": in a quote, the speaker.
FIRST_PERSON_OBJECTS = frozenset({"me", "us"})
QUOTE_MARKS = frozenset({"'", '"', "‘", "’", "“", "”"})
#: Pronouns that can stand before a person as their owner ("her daughter").
OWNER_PRONOUNS = frozenset({"her", "his", "their"})
#: Context cues by which a record says there is no missing episode in it.
#: Repeat-missing rules that count occasions ("2nd occasion"), which could be of anything.
COUNTED_RECURRENCE_RULES = frozenset({"rf.repeat_missing.ordinal_number"})
MISSING_VERDICT_CUES = frozenset({"neg.missing_decision", "neg.missing_verdict", "neg.missing_verdict_short"})
#: The context cue by which a record says it is not domestic abuse ("not DA", "logged in error").
DA_VETO_CUES = frozenset({"neg.da_definition", "neg.da_definition_within"})
#: Adult mentions who can be a party to domestic abuse ("named" people are judged by their words' category when introduced).
CONNECTED = frozenset({"parent", "partner", "relative", "by_age", "named"})
#: Parties ("IP", "suspect", "male") count as connected when a partner or relative is named beside them.
PARTIES = frozenset({"party", "generic"})
#: The record's accused, who is whoever the record names as partner or relative.
SUSPECT_WORDS = frozenset({"susp", "suspect", "sp", "s/p", "perpetrator", "perp", "alleged perpetrator", "offender", "accused", "aggressor"})


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
        spans: List[Span] = read_spans(doc, self.spans_key)
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
        assault = any(s.kb_id_ == "physical" and not c["negated"] for s, c in by_label.get("DA_VIOLENCE", [])) or any(
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

        mentioned = present or any(not c["negated"] and not c["hypothetical"] for _, c in by_label.get("CHILD", []))
        missing = by_label.get("MISSING", [])
        for span, ctx in missing:
            # ("was found in Leeds last month with cash": a past finding, or grading, is not by itself a past episode.)
            if (ctx["historical"] and not ctx["negated"] and not ctx["hypothetical"] and ctx["subject"] != "adult" and mentioned
                    and span.kb_id_ not in ("returned", "graded")):
                evidence["risk_factors"].append(evidence_item(span, ctx, True, "past missing episodes of the child",
                                                              category="repeat_missing"))
        for span, ctx in by_label.get("RISK_FACTOR", []):
            reason = rejection(ctx, historical_counts=True)
            if reason is None and span.id_ in COUNTED_RECURRENCE_RULES and not any(s.kb_id_ != "graded" for s, _ in missing):
                # "DAD ... UNSTEADY ON FEET ... 2ND OCCASION THIS YEAR": a recurrence, in a record with no missing word.
                reason = "a second occasion of something, in a record that names no missing episode"
            if reason is None and ctx["subject"] == "adult":
                reason = "about an adult"
            if reason is None and not mentioned:
                reason = "no child in the record"
            evidence["risk_factors"].append(evidence_item(span, ctx, reason is None, reason or "risk factor of the child"))

        ages_by_mention = _ages_by_mention(doc)
        child_partners = self._adult_partner_of_child(doc, by_label, ages_by_mention, evidence["risk_factors"]) if mentioned else set()

        self._domestic_abuse(doc, by_label, ages_by_mention, evidence["domestic_abuse"], child_partners)

        self._referral(by_label, evidence["referral"])

        voice = doc._.sg_voice or {"value": False, "evidence": []}
        evidence["child_voice"] = list(voice["evidence"])

        # A child who assaulted someone was there, even if gone by the time of the visit ("Kyle (17) shoved her").
        # Only when the child leads the clause: no adult named before them in it ("Marlon ... their son Jaheim (15), punched").
        adults_at = [(s.start, c.get("clause")) for s, c in by_label.get("ADULT", [])]
        child_agent = [(s, c) for s, c in by_label.get("DA_VIOLENCE", [])
                       if s.kb_id_ == "physical" and c["subject"] == "child" and rejection(c) is None and c.get("subject_span")
                       and not any(cl == c.get("clause") and a < c["subject_span"][0] for a, cl in adults_at)]
        for span, ctx in child_agent:
            evidence["children_present"].append(evidence_item(span, ctx, True, "a child did it: present at the incident"))
        signals["children_present"] = present or bool(child_agent) or any(
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
            text = doc[age["token_start"] : age["token_end"]].text
            for v in age["values"]:
                counted = v < ADULT_AGE
                key = (who, v)
                duplicate = who is not None and key in seen and len(age["values"]) == 1
                if counted and not duplicate:
                    values.append(v)
                    seen.add(key)
                items.append({
                    "label": "AGE", "category": None, "rule": age["rule"], "start": age["start"], "end": age["end"],
                    "text": text, "value": v, "accepted": counted and not duplicate,
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
        # "No children at the address": a mention with no name, age or sign of presence is not a child who was there.
        none_stated = any(s.kb_id_ == "none" and not c["negated"] for s, c in by_label.get("NONCHILD", []))
        present = False
        for key, (span, ctx) in zip(keys, children):
            reason = rejection(ctx, historical_counts=True, absent_counts=False)
            if reason is None and key in away and not ctx.get("present"):
                # (Unless this mention says they were there: "the children (4 and 6) were watching TV in the next
                # room ... did not mention anything in class".)
                reason = "the same child is said to be elsewhere"
            if reason is None and unborn and span.kb_id_ == "baby" and (span.start, span.end) not in aged:
                reason = "an unborn baby"
            if reason is None and away and not ctx.get("present") and span.kb_id_ not in ("named", "age"):
                reason = "another mention places the children elsewhere; no sign this one was present"
            if (reason is None and none_stated and not ctx.get("present") and span.kb_id_ not in ("named", "age")
                    and (span.start, span.end) not in aged):
                reason = "the record says no children were there; no sign this one was"
            items.append(evidence_item(span, ctx, reason is None, reason or "child mentioned as present"))
            present = present or reason is None
        return present

    @staticmethod
    def _missing(spans, present: bool, items: List[Dict[str, Any]]) -> None:
        """A child missing now: a missing word, or a departure and a finding or a missing person's risk grading
        ("left home" ... "located", "left home 0600 barefoot ... High risk")."""
        verdicts = []
        # "Not treated as a missing episode", "Not a missing person": the record's own verdict on every missing word in it.
        verdict = next((c["text"] for _, ctx in spans for c in ctx["cues"] if c["rule"] in MISSING_VERDICT_CUES), None)
        for span, ctx in spans:
            reason = rejection(ctx)
            if reason is None and verdict is not None:
                reason = f"the record says it is not a missing episode ({verdict!r})"
            if reason is None and ctx["subject"] == "adult":
                reason = "a missing adult"
            if reason is None and ctx["subject"] == "unknown" and not present:
                reason = "no child in the record"
            verdicts.append([span, ctx, reason])
        standing = {span.kb_id_ for span, _, reason in verdicts if reason is None}
        strong = "missing" in standing
        # ("Left home 0600 barefoot ... High risk.": a missing person's risk grading stands for the search.)
        left_and_found = bool(standing & {"left", "absent"}) and bool(standing & {"returned", "graded"})
        for v in verdicts:
            span, ctx, reason = v
            if reason is None and span.kb_id_ in SUPPORTING_MISSING and not strong and not left_and_found:
                reason = "absent, left, found or a risk grading alone is not a missing episode (whereabouts must be unknown)"
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
    def _adult_partner_of_child(doc: Doc, by_label, by_mention: Dict[str, int], items: List[Dict[str, Any]]) -> Set[str]:
        """A boyfriend or girlfriend stated to be 18 or over, of a child under 16, is an adult associate and an
        older partner ("her boyfriend Marcus (22)", "Dean Coyle (24) ... Dean is her boyfriend"). Returns the names
        given to that partner ("marcus"), whose violence to the child is exploitation or child abuse, not domestic abuse."""
        found: Set[str] = set()
        named = {s.start: s for s, _ in by_label.get("ADULT", []) if s.kb_id_ in ("named", "by_age")}
        pronouns = {s.end: c for s, c in by_label.get("PRONOUN", [])}
        children = {s.end: c for s, c in by_label.get("CHILD", [])}
        for span, ctx in by_label.get("ADULT", []):
            if span.kb_id_ != "partner" or span.text.lower() not in CHILD_PARTNER_WORDS or rejection(ctx) is not None:
                continue
            # Whose partner: the owner right before the word, past any quote mark ("her 'boyfriend'", "Leah's boyfriend").
            k = span.start
            while k > 0 and doc[k - 1].text in QUOTE_MARKS:
                k -= 1
            owner = pronouns.get(k) or children.get(k) or (children.get(k - 1) if k > 0 and doc[k - 1].lower_ in ("'s", "’s") else None)
            if owner is None or owner.get("subject", "child") != "child" or not owner.get("subject_span"):
                continue
            # Under 16 only: at 16 and over a partner of 18 or 19 is a relationship (and its abuse is DA), not an associate.
            who = doc[owner["subject_span"][0] : owner["subject_span"][1]]
            child_age = by_mention.get(who.text.lower())
            if child_age is None or child_age >= DA_MIN_AGE:
                continue
            ages = [max(a["values"]) for a in doc._.sg_ages or [] if a["person"] and span.start <= a["person"][0] <= span.end + 3]
            # "Dean Coyle (24) ... Dean is her boyfriend", "MALE ... WHO SHE DESCRIBED AS HER BOYFRIEND": the named
            # adult the words describe, before them in the clause.
            described = _described_as(doc, span, named, ctx.get("clause"), by_label)
            ages += [by_mention[n.text.lower()] for n in described if n.text.lower() in by_mention]
            if ages and min(ages) >= ADULT_AGE:
                found.update(n.text.lower() for n in described)
                # SIGNALS.md names both: "adult associates" and an "older boyfriend".
                for category, what in (("risky_associates", "an adult associate"), ("sexual_exploitation", "an older partner of a child under 16")):
                    items.append(evidence_item(span, ctx, True, f"a child's {span.text.lower()} aged {min(ages)}: {what}",
                                               category=category, rule="signals.adult_partner_of_child"))
                # "her boyfriend Kyle", "HER 'BOYFRIEND' REECE ALDOUS": the names that follow the word. (Not the word
                # itself: mum's boyfriend may be in the record too.)
                k = span.end
                while k < len(doc) and (doc[k].text in QUOTE_MARKS or k in named):
                    if k in named:
                        found.add(named[k].text.lower())
                        k = named[k].end
                    else:
                        k += 1
        return found

    @staticmethod
    def _domestic_abuse(doc: Doc, by_label, ages: Dict[str, int], items: List[Dict[str, Any]],
                        child_partners: Set[str] = frozenset()) -> None:
        """Abuse between people aged 16+ who are personally connected.

        An explicit cue ("domestic", "DASH", "coercive control") decides unless
        the record says it is not DA, or the only abuser is a child under 16.
        Without one, violence or control counts when the one doing it is a
        connected adult (parent, partner, relative) and the one it is done to
        is not a child.
        """
        people = {(s.start, s.end): (s, c) for lab in ("CHILD", "ADULT", "PRONOUN") for s, c in by_label.get(lab, [])}
        acts = by_label.get("DA_VIOLENCE", [])
        vetoed = any(cue["rule"] in DA_VETO_CUES for _, c in by_label.get("DOMESTIC_ABUSE", []) for cue in c["cues"])
        connected_adults = {(s.start, s.end) for s, c in by_label.get("ADULT", []) if s.kb_id_ in CONNECTED and not c["negated"]}
        partner_named = any(not c["negated"] for _, c in by_label.get("PARTNER", []))

        def party(ctx) -> Optional[Span]:
            if not ctx.get("subject_span"):
                return None
            return people.get(tuple(ctx["subject_span"]), (None, None))[0]

        def child_age(person: Optional[Span], ctx) -> Optional[int]:
            """The stated age of a child party; -1 when the child's age is not stated."""
            if ctx["subject"] != "child":
                return None
            if person is not None and person.label_ == "PRONOUN" and ctx.get("subject_span"):
                # ("her boyfriend (18) keeps turning up outside her house": "her" is Millie (17).)
                person = doc[ctx["subject_span"][0] : ctx["subject_span"][1]]
            age = ages.get(person.text.lower()) if person is not None else None
            return -1 if age is None else age

        def under_16(person: Optional[Span], ctx) -> bool:
            age = child_age(person, ctx)
            return age is not None and age < DA_MIN_AGE

        partner_clauses = {c.get("clause") for _, c in by_label.get("PARTNER", []) if not c["negated"]}
        suspect_connected = partner_named or any(s.kb_id_ in ("parent", "partner") for s, c in by_label.get("ADULT", []) if not c["negated"])

        starts = {a for a, _ in people}

        quotes = [(s, c) for s, c in by_label.get("QUOTE", []) if c["subject"] == "child" and c.get("subject_span")]

        def target(span: Span, clause: Any) -> Optional[Tuple[Span, Dict[str, Any]]]:
            # ("She said "Daddy hit me"": "me" in a child's words is the child.)
            if span.end < len(doc) and doc[span.end].lower_ in FIRST_PERSON_OBJECTS:
                speaker = next((people.get(tuple(c["subject_span"])) for s, c in quotes if s.start <= span.start and span.end <= s.end), None)
                if speaker is not None:
                    return speaker
            # ("slapped her daughter Chloe": not "her", whose daughter it is.)
            after = [(s, c) for (a, b), (s, c) in people.items() if a >= span.end and a - span.end <= 4 and c.get("clause") == clause
                     and not (s.label_ == "PRONOUN" and s.text.lower() in OWNER_PRONOUNS and b in starts)]
            return min(after, key=lambda x: x[0].start) if after else None

        child_abuser = adult_abuser = False
        verdicts = []
        for span, ctx in acts:
            reason = rejection(ctx)
            agent = party(ctx)
            age = child_age(agent, ctx)
            # (A row is no abuse, so a child's row does not make the child the abuser: "5 Elm Row".)
            if reason is None and span.kb_id_ == "weak":
                reason = "a row or a fight alone is not abuse"
            if reason is None and age is not None and age < DA_MIN_AGE:
                child_abuser = child_abuser or age >= 0
                reason = f"done by a child under {DA_MIN_AGE}" if age >= 0 else "done by a child whose age is not stated"
            connected = agent is not None and (
                agent.kb_id_ in CONNECTED or (agent.kb_id_ in PARTIES and ctx.get("clause") in partner_clauses)
                # "Susp (IP's partner) in custody", "stepdad ... susp arrested for NFS": the record's suspect, where it
                # names a partner or relative as one.
                or (agent.text.lower() in SUSPECT_WORDS and suspect_connected)
            )
            if reason is None and agent is not None and agent.text.lower() in child_partners:
                reason = f"done by the adult partner of a child under {DA_MIN_AGE} (exploitation or child abuse, not DA)"
            if reason is None and not connected:
                reason = "not done by a partner, ex-partner or relative"
            if reason is None and not partner_named and len(connected_adults - {(agent.start, agent.end)}) == 0:
                reason = "no second adult partner or relative named: not between connected adults"
            if reason is None:
                hit = target(span, ctx.get("clause"))
                if hit is not None and hit[1]["subject"] == "child" and under_16(people.get((hit[0].start, hit[0].end), (None, None))[0], hit[1]):
                    reason = f"done to a child under {DA_MIN_AGE} (child abuse, not DA)"
            adult_abuser = adult_abuser or reason is None
            verdicts.append((span, ctx, reason))
        for span, ctx in by_label.get("DOMESTIC_ABUSE", []):
            reason = rejection(ctx)
            if reason is None and vetoed:
                reason = "the record says this is not domestic abuse"
            if reason is None and child_abuser and not adult_abuser:
                reason = f"the abusive party is a child under {DA_MIN_AGE}"
            items.append(evidence_item(span, ctx, reason is None, reason or "domestic abuse"))
        for span, ctx, reason in verdicts:
            if reason is None and vetoed:
                reason = "the record says this is not domestic abuse"
            items.append(evidence_item(span, ctx, reason is None, reason or "abuse by a connected adult"))


#: Words for "the children" as a group: one key, so absence of one is absence of all.
_GROUP_WORDS = frozenset({"children", "chn", "chldn", "kids", "kiddies", "siblings", "twins", "both", "young people", "children's", "childrens"})


def _child_key(doc: Doc, span: Span) -> str:
    """Which child a mention is of: a name, the group, or the word ("daughter Ava" is Ava)."""
    text = span.text.lower()
    if text in _GROUP_WORDS:
        return "*group"
    i = skip_forward(doc, span.end, ("(", ",", ":"))
    if i < len(doc) and doc[i].text[:1].isupper() and doc[i].is_alpha and i - span.end <= 1 and span.kb_id_ != "named":
        return doc[i].text.lower()
    return text


#: Words by which a clause says who someone is ("Dean is her boyfriend", "who she describes as her boyfriend").
DESCRIBING_WORDS = frozenset({"is", "was", "as", "be", "who", "whom", "calls", "called"})


def _described_as(doc: Doc, word: Span, named: Dict[int, Span], clause: Any, by_label) -> List[Span]:
    """The named adult before ``word`` in its clause that the clause describes as ``word`` ("Dean is her boyfriend")."""
    clauses = {s.start: c.get("clause") for s, c in by_label.get("ADULT", [])}
    before = [s for k, s in named.items() if s.end <= word.start and word.start - s.end <= 10 and clauses.get(k) == clause]
    if not before:
        return []
    nearest = max(before, key=lambda s: s.start)
    if not any(t.lower_ in DESCRIBING_WORDS for t in doc[nearest.end : word.start]):
        return []
    # "Dean Coyle": the given name and surname are one person.
    return [s for s in before if s.start == nearest.start or (s.end == nearest.start and s.end - s.start == 1)] or [nearest]


def _ages_by_mention(doc: Doc) -> Dict[str, int]:
    """The youngest stated age of each person mention's words ("kyle" -> 17, "son" -> 17)."""
    out: Dict[str, int] = {}
    for age in doc._.sg_ages or []:
        if age["person"] is None:
            continue
        key = doc[age["person"][0] : age["person"][1]].text.lower()
        out[key] = min(age["values"] + ([out[key]] if key in out else []))
        if age.get("name"):
            for part in age["name"].lower().split():
                out[part] = min(age["values"] + ([out[part]] if part in out else []))
    return out


def _who(ctx: Dict[str, Any]) -> str:
    return {"adult": "an adult", "unknown": "someone not identified"}.get(ctx["subject"], ctx["subject"])


