"""Invented incident records for demonstrations and benchmarks.

``safeguard-nlp demo generate`` composes narratives from the fragment lists
below with a seeded random generator: the same seed and count always give the
same file. Every name, place and event is invented; nothing is taken from a
real record or from the annotated corpora. The records are not gold-labelled:
they exist so that a scan has real-looking data to read (all six sources,
each signal, negations, plans, absent children, adults who are somebody's
"son", and other traps).

``safeguard-nlp demo sqlite`` copies such a CSV into a SQLite table for the
database examples.
"""

from __future__ import annotations

import csv
import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Union

DEFAULT_COUNT = 2400
DEFAULT_SEED = 1989  # the Children Act's year
DEFAULT_START = datetime(2024, 1, 1)
DEFAULT_DAYS = 366
DEMO_COLUMNS = ("id", "date", "source", "text")

# ------------------------------------------------------------------------- people and places

FEMALE = ["Carys", "Dionne", "Marta", "Shelley", "Priya", "Gemma", "Ewa", "Tasha", "Leanne", "Yasmin", "Bethan",
          "Nadia", "Roisin", "Kerry-Ann", "Folake", "Agata", "Lucy", "Sadia", "Jodie", "Ioana"]
MALE = ["Dean", "Marek", "Tyrone", "Gareth", "Imran", "Craig", "Lewis", "Tomasz", "Jermaine", "Stuart", "Kofi",
        "Adil", "Ryan", "Bogdan", "Wayne", "Callum", "Hamza", "Liam", "Nathan", "Osman"]
GIRLS = ["Amelie", "Skye", "Maya", "Ruby", "Zara", "Lacey", "Esme", "Nevaeh", "Aisha", "Poppy", "Kacey", "Hana",
         "Tia", "Lola", "Mia", "Summer"]
BOYS = ["Kai", "Alfie", "Reggie", "Jayden", "Ibrahim", "Mason", "Leo", "Riley", "Tyler", "Yusuf", "Oskar",
        "Harvey", "Zak", "Bobby", "Kian", "Rocco"]
SURNAMES = ["Pryce", "Okafor", "Nowak", "Whitlock", "Hussain", "Brannigan", "Quaye", "Lindqvist", "Marsh",
            "Kowalczyk", "Adeyemi", "Thorne", "Rahman", "Duffield", "Mbeki", "Saltmarsh", "Varga", "Coyle"]
STREETS = ["Larkspur Close", "Ferry Lane", "Cobden Street", "Wexcombe Road", "Millrace Court", "Tannery Row",
           "Beacon Way", "Orchard Parade", "Slate Quay", "Kestrel Drive", "Hollins Walk", "Ravensbourne Flats"]
PLACES = ["the retail park", "the bus station", "a park near the canal", "McDonald's on the high street",
          "a friend's address on Tannery Row", "the train station", "an underpass off Beacon Way",
          "a takeaway in the town centre", "the skate park", "a garage block behind Slate Quay"]
FAR_TOWNS = ["Bradwell", "Kingsholm", "Portwick", "Easterby", "Hallam Cross", "Selbury"]
OFFICERS = ["PC Haldane", "PC Obi", "PS Karlsson", "PC Trent", "DC Amos", "PCSO Reilly"]
STAFF = ["her form tutor", "the DSL", "Mrs Penrose (Y4 teacher)", "the school nurse", "a lunchtime supervisor",
         "his head of year", "the pastoral lead"]

PARTNER_WORDS = ["partner", "ex-partner", "husband", "boyfriend", "ex-husband", "estranged husband"]


class _Gen:
    """One record's random choices."""

    def __init__(self, rng: random.Random):
        self.r = rng

    def pick(self, items: Sequence[str]) -> str:
        return self.r.choice(items)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def time(self) -> str:
        return f"{self.r.randint(0, 23):02d}{self.r.randint(0, 59):02d}"

    def adult(self, female: bool) -> str:
        return f"{self.pick(FEMALE if female else MALE)} {self.pick(SURNAMES)}"

    def child(self, lo: int = 0, hi: int = 17, girl: Optional[bool] = None):
        girl = self.chance(0.5) if girl is None else girl
        return self.pick(GIRLS if girl else BOYS), self.r.randint(lo, hi), girl

    def age_text(self, age: int) -> str:
        if age == 0:
            return self.pick([f"{self.r.randint(2, 11)}/12", f"{self.r.randint(3, 10)} months", f"{self.r.randint(2, 9)}/52"])
        return str(age)

    def children_clause(self) -> str:
        """Children at the incident, absent, or none, in the many ways logs say it."""
        kind = self.r.random()
        if kind < 0.35:
            (a, x, _), (b, y, _) = self.child(0, 9), self.child(3, 15)
            return self.pick([
                f"Chn {a} ({self.age_text(x)}) and {b} ({self.age_text(y)}) present in the address.",
                f"2 chn in the property at the time, {a} {self.age_text(x)} and {b} {self.age_text(y)}.",
                f"Her children {a} ({self.age_text(x)}) and {b} ({self.age_text(y)}) were in the living room.",
                f"CHN PRESENT: {a.upper()} ({self.age_text(x)}), {b.upper()} ({self.age_text(y)}).",
            ])
        if kind < 0.5:
            name, age, girl = self.child(0, 2)
            return self.pick([
                f"Baby {name} ({self.age_text(age)}) was in a cot in the same room.",
                f"Their baby daughter, {self.age_text(0)} old, was present throughout." if girl else
                f"Their son {name}, {self.age_text(0)}, was in his bouncer in the kitchen.",
            ])
        if kind < 0.62:
            return self.pick([
                "No children present.", "No chn at the address.", "Couple have no children.",
                "IP's children were at school at the time.", "Chn staying with maternal nan this week, not present.",
                "IP is 28 weeks pregnant; no other children.",
            ])
        if kind < 0.72:
            son = self.r.randint(19, 34)
            return self.pick([
                f"Her son, {son}, lives at the address and was present.",
                f"Adult daughter ({son}) called police.",
                f"Their son Jordan ({son}) intervened.",
            ])
        if kind < 0.85:
            return self.pick(["3 chn in the house.", "Children present, ages not given.", "Kids upstairs at the time.",
                              "The children were in bed upstairs."])
        return ""

    def voice_clause(self) -> str:
        name, age, girl = self.child(4, 15)
        pron = "she" if girl else "he"
        return self.pick([
            f"{name} ({age}) told officers \"{self.pick(['daddy was shouting at mummy', 'I hid in my room', 'he broke the telly', 'I want it to stop'])}\".",
            f"{name} said {pron} was scared and wanted to stay with nan.",
            f"Spoke to {name} ({age}) alone, {pron} explained {pron} heard banging and crying.",
            f"{name} disclosed that this happens most weekends.",
            "Children spoken to but nothing of note said.",
            "Children asleep, not woken or spoken to.",
            "Chn not spoken to.",
            f"{name} ({age}) declined to speak to officers.",
            "Baby alert and smiling, no concerns with presentation.",
            "Toddler withdrawn and flinched when adults raised voices.",
            "",
        ])

    def injury_clause(self, who: str = "IP") -> str:
        return self.pick([
            f"{who} has swelling to left cheek and a cut to lip.",
            f"Visible red marks to {who}'s neck, consistent with strangulation.",
            f"{who} complained of pain to ribs after being kicked.",
            f"{who} had a bloody nose, cleaned up by paramedics.",
            f"Bruising to {who}'s upper arms, photographed.",
            f"No injuries seen or reported by {who}.",
            f"{who} denied any injury.",
            "No visible marks.",
            f"Old bruise to {who}'s wrist which has since faded.",
            "",
        ])

    def referral_clause(self) -> str:
        return self.pick([
            "PPN submitted.", "PPN submitted to MASH.", "Referral to CSC made.", "MASH notified via PPN.",
            "Strategy discussion requested.", "Info shared with children's social care out-of-hours team.",
            "DASH completed, medium risk. Referred to IDVA.", "MARAC referral made (high risk DASH).",
            "No referral made.", "Will refer to CSC if this happens again.", "PPN to follow.",
            "Advice given re: Clare's Law.", "",
        ])


# ------------------------------------------------------------------------- one builder per source

def _police_da(g: _Gen) -> str:
    victim_f = g.chance(0.85)
    victim = g.adult(victim_f)
    suspect_first = g.pick(MALE if victim_f else FEMALE)
    rel = g.pick(PARTNER_WORDS if victim_f else ["partner", "ex-partner", "wife", "girlfriend"])
    obj, poss, subj = ("her", "her", "she") if victim_f else ("him", "his", "he")
    acts = [
        f"{rel} {suspect_first} punched {obj} in the face during an argument about money",
        f"{rel} {suspect_first} has been sending abusive messages and turning up at {poss} work, in breach of a non-molestation order",
        f"{rel} {suspect_first} grabbed {obj} by the throat and pinned {obj} against the fridge",
        f"{rel} {suspect_first} smashed {poss} phone and threatened to kill {obj} if {subj} called the police",
        f"{rel} {suspect_first} keeps {poss} bank card and gives {obj} £20 a week for food",
        f"{rel} {suspect_first} locked {obj} out of the flat overnight",
        f"{rel} {suspect_first} pushed {obj} down the stairs",
        f"{rel} {suspect_first} has been tracking {poss} phone and checks who {subj} speaks to",
    ]
    opening = g.pick([
        f"{g.time()} caller {victim} reports {g.pick(acts)}.",
        f"DOMESTIC at {g.r.randint(2, 88)} {g.pick(STREETS)}. IP {victim} states {g.pick(acts)}.",
        f"Attended {g.pick(STREETS)} following 999 call from neighbour reporting screaming. IP {victim} says {g.pick(acts)}.",
        f"{g.time()} hrs: {victim.upper()} RINGING FROM A NEIGHBOUR'S FLAT. SAYS {g.pick(acts).upper()}.",
    ])
    parts = [opening, g.children_clause(), g.injury_clause(), g.voice_clause()]
    parts.append(g.pick([f"{suspect_first} arrested for ABH and conveyed to custody.", f"{suspect_first} left prior to police arrival.",
                         f"{suspect_first} arrested on suspicion of controlling behaviour.", "Suspect not located, circulated.", ""]))
    parts.append(g.referral_clause())
    return " ".join(p for p in parts if p)


def _police_incident(g: _Gen) -> str:
    kind = g.r.random()
    if kind < 0.25:
        name, age, girl = g.child(3, 9)
        pron = "She" if girl else "He"
        return " ".join(p for p in [
            f"{g.time()} concern for welfare: member of public found a young child wandering alone near {g.pick(PLACES)}.",
            f"Child identified as {name}, {age}.",
            g.pick([f"{pron} said {'her' if girl else 'his'} mum was asleep and wouldn't wake up.",
                    f"{pron} was crying and said {'she' if girl else 'he'} was looking for {'her' if girl else 'his'} dad.",
                    f"{pron} would not say anything to officers."]),
            g.pick(["Mother located at home, appeared intoxicated.", "Father attended, stated child had slipped out of the garden gate."]),
            g.pick(["PPN submitted.", "Referral to CSC.", "Words of advice given, no further action.", "EDT informed."]),
        ] if p)
    if kind < 0.45:
        ages = sorted(g.r.randint(13, 17) for _ in range(g.r.randint(2, 4)))
        return " ".join(p for p in [
            f"Report of a group of youths causing ASB at {g.pick(PLACES)}, throwing stones at buses.",
            f"{len(ages)} youths stopped, aged {', '.join(map(str, ages[:-1]))} and {ages[-1]}.",
            g.pick(["One youth found in possession of a lock knife.", "Strong smell of cannabis, one youth had a bag of weed.",
                    "All appeared under the influence of alcohol.", "No offences disclosed."]),
            g.pick(["Taken home to parents.", "Details passed to the youth offending team.",
                    "Parents informed by phone.", "Dispersal order issued."]),
        ] if p)
    if kind < 0.65:
        adult = g.adult(g.chance(0.4))
        return " ".join(p for p in [
            g.pick([f"Shop theft at Cobden Street Co-op: {adult} detained by security with £60 of meat.",
                    f"Neighbour dispute on {g.pick(STREETS)}: {adult} says the upstairs flat plays music all night.",
                    f"RTC on the ring road, two vehicles, {adult} driver of the second car.",
                    f"{adult} reports criminal damage to her car overnight, wing mirror snapped.",
                    f"Burglary at {g.r.randint(1, 99)} {g.pick(STREETS)}, rear door forced, laptop taken."]),
            g.pick(["No children involved.", "Complainant lives alone.", "Couple are child-free.", "",
                    "Witness lives at Childs Hill.", "Her son, 31, was the other driver."]),
            g.pick(["Driver complained of whiplash, conveyed to hospital.", "No injuries.", "No one hurt.", ""]),
            g.pick(["Crime reported.", "Words of advice.", "Filed pending further enquiries.", "CCTV requested."]),
        ] if p)
    name, age, girl = g.child(10, 16)
    pron = "she" if girl else "he"
    return " ".join(p for p in [
        f"{g.time()} call from {g.pick(['mother', 'father', 'grandmother'])} of {name} ({age}) reporting that {pron} has been assaulted by other pupils on the way home.",
        g.injury_clause(name),
        g.pick([f"{name} told officers {pron} knows the boys from school and they took {'her' if girl else 'his'} phone.",
                f"{name} said {pron} didn't want to make a fuss.", f"{name} too upset to give an account.", ""]),
        g.pick(["Crime recorded, suspects identified.", "School informed.", "Referral to CSC not required, parent protective.", ""]),
    ] if p)


def _missing(g: _Gen) -> str:
    if g.chance(0.08):
        adult = g.adult(g.chance(0.5))
        return " ".join(p for p in [
            f"{adult} ({g.r.randint(25, 80)}) reported missing by {g.pick(['his wife', 'her husband', 'a carer', 'his daughter'])} after failing to return from a walk.",
            g.pick(["Has dementia.", "Low mood recently.", "No previous episodes."]),
            g.pick(["Located safe and well at a bus stop.", "Found at a relative's address.", "Remains outstanding, high risk."]),
        ] if p)
    name, age, girl = g.child(11, 17)
    pron, poss = ("she", "her") if girl else ("he", "his")
    reporter = g.pick(["mother", "father", "foster carer", "residential staff", "nan"])
    home = {"foster carer": "foster placement", "residential staff": "the children's home"}.get(reporter, "home")
    risks = g.r.sample([
        f"Has been reported missing x{g.r.randint(2, 14)} previously.",
        f"Regularly goes missing from {home}.",
        "Known to associate with older males in cars.",
        f"Concerns re CCE; last time {pron} was found in {g.pick(FAR_TOWNS)} with £{g.r.randint(150, 900)} and two phones.",
        f"Believed to be involved in county lines; links to a gang in {g.pick(FAR_TOWNS)}.",
        f"Has an older boyfriend (23) {pron} met online.",
        f"Talks to unknown men on Snapchat who have bought {poss} clothes and vapes.",
        "Open to CAMHS, history of self-harm; made comments about wanting to die last week.",
        f"{name} drinks and has been smoking cannabis daily.",
        "Type 1 diabetic and has not taken insulin with them.",
        "Diagnosed with autism, struggles with change.",
        f"{name} is looked after under a care order.",
        "Subject to a section 20 arrangement.",
    ], g.r.randint(1, 3))
    if g.chance(0.12):
        risks = [f"No known risk factors; {name} has no previous missing episodes."]
    located = g.pick([
        f"Located at {g.pick(PLACES)} at {g.time()} by {g.pick(OFFICERS)}.",
        f"Returned of own accord at {g.time()}. {name} said {pron} had been at a friend's and lost track of time.",
        f"Found in {g.pick(FAR_TOWNS)}, out of area. {name} refused to say who {pron} had been with.",
        f"Located safe. {name} told the officer {pron} 'just needed space' from {home}.",
        "Remains missing at time of writing, whereabouts unknown.",
        "Found at a hotel in the town centre with two adult males, both arrested.",
    ])
    return " ".join(p for p in [
        g.pick([f"MFH: {name} {g.pick(SURNAMES)}, {age}, reported missing by {reporter} at {g.time()}.",
                f"MISPER {name.upper()} ({age}) failed to return to {home} by the agreed time of 2200.",
                f"{name}, {age}yo, absent from {home} since yesterday evening, whereabouts unknown.",
                f"{reporter.capitalize()} reports {name} ({age}) has absconded from {home} after an argument."]),
        *risks, located,
        g.pick(["Return interview to be completed.", "PPN submitted to MASH.", "Strategy discussion held.",
                "Social worker informed.", "Information shared with the missing children's team.", ""]),
    ] if p)


def _social_care(g: _Gen) -> str:
    mum = g.adult(True)
    (a, x, _), (b, y, gb) = g.child(0, 8), g.child(6, 16)
    kind = g.r.random()
    if kind < 0.4:
        return " ".join(p for p in [
            f"Home visit to {mum} and her children {a} ({g.age_text(x)}) and {b} ({y}).",
            g.pick(["Home conditions poor, little food in the cupboards.", "Home clean and tidy, food in the fridge.",
                    "Mother presented as tired but engaged well.", "Strong smell of cannabis in the flat."]),
            g.pick([f"{b} said {'she' if gb else 'he'} likes {'her' if gb else 'his'} new school and wants to stay living with mum.",
                    f"{b} told me {'she' if gb else 'he'} worries about mum when she drinks.",
                    f"Seen {a} and {b}; both were watching TV and did not engage.",
                    f"{a} was asleep throughout the visit.",
                    f"{b} wished to speak to me alone and disclosed that mum's boyfriend hits mum."]),
            g.pick(["Plan: continue with child in need plan.", "Case to be discussed with team manager re threshold.",
                    "Case stepped down to early help.", "Strategy discussion held with police and health following visit.",
                    "Will refer to CAMHS for low mood.", "Information shared with the school DSL."]),
        ] if p)
    if kind < 0.7:
        return " ".join(p for p in [
            f"Contact received from {g.pick(['school', 'health visitor', 'police', 'an anonymous caller', 'GP'])} regarding {b} ({y}).",
            g.pick([f"Concerns that {b} is being exploited; seen getting into cars with older males.",
                    f"{b} arrived at school with a bruise to {'her' if gb else 'his'} cheek and said dad did it.",
                    f"{b} has been self-harming and says {'she' if gb else 'he'} feels nobody listens.",
                    f"Concerns re neglect: {b} often hungry and in the same clothes.",
                    f"{b} is a young carer for mum who has MS."]),
            g.pick(["Passed to MASH for screening.", "Referred to early help.", "No further action at this stage.",
                    "Strategy discussion convened.", "Allocated for a child and family assessment."]),
        ] if p)
    return " ".join(p for p in [
        f"Supervision note: reviewed the case of {b} ({y}), looked after in a foster placement since March.",
        g.pick([f"{b} has been missing from placement twice this month.", f"{b} is settled and attending school daily.",
                f"{b} told the IRO {'she' if gb else 'he'} wants more contact with {'her' if gb else 'his'} brother.",
                f"Carers report {b} comes home with new trainers and cash they cannot explain."]),
        g.pick(["Actions: update the care plan.", "Actions: refer to the exploitation panel.", "No change to plan."]),
    ] if p)


def _school(g: _Gen) -> str:
    name, age, girl = g.child(4, 16)
    pron, poss = ("she", "her") if girl else ("he", "his")
    year = max(1, min(13, age - 4))
    return " ".join(p for p in [
        g.pick([f"{name} (Y{year}) came to {g.pick(STAFF)} at break.",
                f"During PE {g.pick(STAFF)} noticed marks on {name}'s legs.",
                f"{name}, {age}, was late again and appeared unkempt.",
                f"Pupil {name} (Y{year}) has been absent for 3 days with no contact from home."]),
        g.pick([f"{name} disclosed that {poss} stepdad hit {'her' if girl else 'him'} with a belt.",
                f"{name} said \"mum and her boyfriend fight every night\".",
                f"{name} told staff {pron} had not eaten since lunch yesterday.",
                f"{name} would not say how {pron} got the bruise.",
                f"{name} explained {pron} fell off {poss} bike at the weekend; mum confirmed.",
                f"{name} said {pron} is fine and did not want to talk.",
                f"Mum rang to say {name} is off with an absence seizure, known epilepsy.",
                f"Home visit by EWO: {name} at home with mum, unwell."]),
        g.pick(["Bruise approx 3cm to upper arm.", "No marks seen.", "Red mark to cheek.", "Graze to knee.", ""]),
        g.pick(["DSL informed, referral to MASH made.", "Logged on CPOMS, DSL to monitor.", "Parents contacted.",
                "Referral to children's social care.", "Referred to the school nurse.", "Will refer if further concerns."]),
    ] if p)


def _health(g: _Gen) -> str:
    kind = g.r.random()
    if kind < 0.6:
        name, age, girl = g.child(0, 16)
        pron = "She" if girl else "He"
        age_words = f"{g.age_text(age)} old" if age == 0 else f"{age} year old"
        return " ".join(p for p in [
            g.pick([f"{age_words} {'girl' if girl else 'boy'} attended ED with {g.pick(['mother', 'father', 'grandmother', 'foster carer'])}.",
                    f"ED attendance: {name}, {age_words}, brought in by ambulance."]),
            g.pick(["Presenting complaint: burn to forearm from a kettle.", "Presenting complaint: spiral fracture of the left humerus.",
                    "Presenting complaint: head injury after a fall from a climbing frame.",
                    "Presenting complaint: overdose of paracetamol, no injuries.", "Presenting complaint: asthma attack.",
                    "Presenting complaint: laceration to scalp, glued.", "Presenting complaint: bruising to face and ear."]),
            g.pick(["History inconsistent with injury.", "Mechanism consistent with history.", "Delay of 2 days in presentation.", ""]),
            g.pick([f"{pron} said {'she' if girl else 'he'} was pushed by an older child.", f"{pron} was quiet and withdrawn.",
                    f"{pron} told the nurse \"it was an accident\".", "Alert, babbling and feeding well." if age == 0 else "",
                    "Not verbal due to pain.", ""]),
            g.pick(["Referral to children's social care completed.", "Discussed with the safeguarding team, no referral needed.",
                    "Safeguarding team informed, strategy discussion arranged.", "Health visitor informed.",
                    "GP letter sent.", "Referred to CAMHS.", "Skeletal survey requested."]),
        ] if p)
    adult = g.adult(g.chance(0.6))
    return " ".join(p for p in [
        f"{adult} ({g.r.randint(19, 70)}) attended ED with {g.pick(['facial injuries', 'a fractured wrist', 'chest pain', 'a cut to the hand'])}.",
        g.pick(["Disclosed that her partner caused the injuries.", "States fell while drunk.", "Says husband pushed her; DASH completed.",
                "Assaulted by a stranger outside a pub.", ""]),
        g.pick(["Has two children at home (4 and 9), currently with grandmother.", "No dependants.", "Lives with adult son, 24.",
                "Expecting first baby, 20 weeks.", "Lives near Childs Hill with her partner.", ""]),
        g.pick(["IDVA referral made.", "Referred to adult social care.", "Safeguarding referral to CSC as children in the home.",
                "Police informed.", "Discharged home."]),
    ] if p)


BUILDERS: Dict[str, Callable[[_Gen], str]] = {
    "police_da": _police_da,
    "police_incident": _police_incident,
    "missing_report": _missing,
    "social_care": _social_care,
    "school": _school,
    "health": _health,
}
SOURCE_WEIGHTS = {"police_da": 30, "police_incident": 18, "missing_report": 17, "social_care": 13, "school": 12, "health": 10}


TAILS: Dict[str, Sequence[str]] = {
    "police_da": ["Body-worn video recorded throughout.", "DASH questions completed with IP in private.",
                  "IP has moved to her sister's for tonight.", "Previous DA logs at this address x3.",
                  "Bail conditions not to contact IP.", "IP did not support a prosecution at this time."],
    "police_incident": ["Officers remained until the scene was safe.", "Log closed.", "Local PCSO to follow up.",
                        "CAD updated with the outcome."],
    "missing_report": ["Risk assessed as medium.", "Risk assessed as high due to age and vulnerability.",
                       "Phone goes straight to voicemail.", "Last seen on CCTV at the bus station.",
                       "Friends spoken to, no information."],
    "social_care": ["Next visit booked for two weeks' time.", "Core group meeting due next month.",
                    "Chronology updated.", "Mother agreed to the plan."],
    "school": ["Attendance this term 82%.", "Class teacher to keep a close eye.", "Staff reminded to record any comments.",
               "Sibling attends the same school."],
    "health": ["Observations within normal limits.", "Seen by the paediatric registrar.", "Follow-up in fracture clinic.",
               "Discharged with safety-netting advice."],
}


def _finish(g: _Gen, text: str) -> str:
    """Record-system noise: a few records are blank, carry markup, or start with a dash or a plus."""
    x = g.r.random()
    if x < 0.006:
        return ""
    if x < 0.009:
        return "   "
    if x < 0.02:
        return text.replace(". ", ".<br/>", 2)
    if x < 0.025:
        return "- " + text
    if x < 0.028:
        return "+ Update: " + text
    if x < 0.06:
        return text.upper()
    return text


def records(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED, *, start: datetime = DEFAULT_START,
            days: int = DEFAULT_DAYS, prefix: str = "DEMO") -> Iterator[Dict[str, str]]:
    """``count`` invented records ``{"id", "date", "source", "text"}``, ids in date order, deterministic for a seed."""
    rng = random.Random(seed)
    span = days * 24 * 3600
    offsets = sorted(rng.randrange(span) for _ in range(count))
    names = list(SOURCE_WEIGHTS)
    weights = [SOURCE_WEIGHTS[n] for n in names]
    width = max(6, len(str(count)))
    g = _Gen(rng)
    for n, offset in enumerate(offsets, start=1):
        source = rng.choices(names, weights)[0]
        when = start + timedelta(seconds=offset - offset % 60)
        yield {"id": f"{prefix}-{n:0{width}d}", "date": when.strftime("%Y-%m-%dT%H:%M:%S"), "source": source,
               "text": _finish(g, " ".join([BUILDERS[source](g), *rng.sample(TAILS[source], rng.randint(0, 2))]).strip())}


def write(path: Union[str, Path], count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> int:
    """Write invented records to ``path`` (CSV, JSON Lines or Parquet by its name); returns the count."""
    import json

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = target.suffix.lower()
    n = 0
    if suffix in (".jsonl", ".ndjson"):
        with open(target, "w", encoding="utf-8", newline="\n") as f:
            for rec in records(count, seed):
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    elif suffix in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([(c, pa.string()) for c in DEMO_COLUMNS])
        with pq.ParquetWriter(target, schema, compression="zstd") as writer:
            batch: List[Dict[str, str]] = []
            for rec in records(count, seed):
                batch.append(rec)
                if len(batch) >= 10_000:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    n += len(batch)
                    batch = []
            if batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
    else:
        with open(target, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=DEMO_COLUMNS, lineterminator="\n")
            writer.writeheader()
            for rec in records(count, seed):
                writer.writerow(rec)
                n += 1
    return n


def to_sqlite(csv_path: Union[str, Path], db_path: Union[str, Path], table: str = "incidents") -> int:
    """Copy a CSV of records (``id, date, source, text``) into a SQLite table, replacing it; returns the count."""
    if not table.replace("_", "").isalnum():
        raise ValueError(f"not a plain table name: {table!r}")
    csv.field_size_limit(1 << 30)
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with sqlite3.connect(str(db_path)) as conn, open(csv_path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("id", "text") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{csv_path} has no column(s) {', '.join(missing)}")
        extra = [c for c in (reader.fieldnames or []) if c not in ("id", "text")]
        cols = ["id", *extra, "text"]
        conn.execute(f'DROP TABLE IF EXISTS "{table}"')
        conn.execute(f'CREATE TABLE "{table}" (id TEXT PRIMARY KEY, '
                     + ", ".join(f'"{c}" TEXT' for c in extra) + (", " if extra else "") + "text TEXT)")
        insert = f'INSERT INTO "{table}" (' + ", ".join(f'"{c}"' for c in cols) + ") VALUES (" + ", ".join("?" * len(cols)) + ")"
        batch = []
        for row in reader:
            batch.append(tuple(row.get(c) for c in cols))
            if len(batch) >= 5000:
                conn.executemany(insert, batch)
                n += len(batch)
                batch = []
        if batch:
            conn.executemany(insert, batch)
            n += len(batch)
        if "date" in extra:
            conn.execute(f'CREATE INDEX IF NOT EXISTS "{table}_date" ON "{table}" ("date")')
    return n
