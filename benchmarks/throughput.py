#!/usr/bin/env python
"""Throughput and memory benchmark for safeguard-nlp, on one CPU core.

What it measures
----------------
Invented ~80-word safeguarding narratives (police, missing-from-home, school,
children's social care, health; ALL CAPS and mixed case; shorthand such as IP,
MFH, chn, PPN, YP, DOB, 15yo, (6), 2314hrs) are composed from fragment lists
with a seeded RNG. Every record also carries invented surnames, street names,
collar numbers and a reference number unique to it, so no two records are
alike and spaCy's vocabulary / string store keeps growing as it would on a
real record system (a benchmark that repeats the same few hundred words
flatters spaCy's lexeme and tokenizer caches). Nothing is taken from
``corpora/``.

Each configuration runs in a fresh subprocess pinned to one CPU
(``os.sched_setaffinity``), so the rates are single-core rates and the RSS
figures belong to that configuration alone:

``bare``       ``spacy.blank("en")`` - spaCy's own English tokenizer via ``nlp.pipe``: the floor.
``tokenizer``  the saved pipeline's tokenizer only (its extra infixes), all components disabled.
``full``       ``safeguard_nlp.load()`` then ``nlp.pipe(texts, batch_size=B)``, reading ``doc._.signals``.
``annotate``   ``safeguard_nlp.annotate(texts, nlp, batch_size=B)``: the public API, with evidence dicts.
``components`` (separate table) the full pipeline applied component by component, CPU time per component
               (run once, whatever ``--repeat``).

Texts are generated before the clock starts; a short warm-up on *other*
generated texts runs first (loading, lazy initialisation), so the timed pass
reads words the process has mostly not seen.

How to read it
--------------
``rec/s`` is records per wall-clock second on one core (``cpu s`` is the
process CPU time; the two should agree when the core is not shared).
``x bare`` is the rate relative to the bare tokenizer: 0.30 means the full
pipeline runs at 30% of the speed of tokenization alone. ``peak RSS`` is
``ru_maxrss`` of that subprocess (Python, spaCy, the pipeline, the generated
texts, and whatever the run added); ``+RSS run`` is how much resident memory
grew during the timed pass; ``strings +`` is how many entries the pass added
to ``nlp.vocab.strings`` (transient ones included while inside a memory zone).
With ``--tracemalloc`` the Python heap peak is also reported (it slows the run:
do not compare those rates with untraced ones).

``--stream N`` feeds N generated records lazily (never held in memory) through
the pipeline and samples RSS after every ``--chunk`` records:

``pipe-zone``        ``with nlp.memory_zone(): for doc in nlp.pipe(chunk)`` - one zone per chunk.
``annotate``         one ``annotate()`` call over the whole stream (it holds one zone for the whole loop).
``annotate-chunked`` a fresh ``annotate()`` call (hence a fresh zone) per chunk.
``pipe-nozone``      ``nlp.pipe`` over the whole stream with no memory zone (the unbounded baseline).
``warm``             what ``safeguard-nlp scan`` does: no zone, the pipeline reloaded from disk once it
                     has added ``--string-budget`` strings (``batch.process.WarmPipeline``).

Why a zone alone is not flat: leaving a zone deletes its lexemes from the
vocabulary's hash table (preshed's ``PreshMap``), but a deleted cell stays a
tombstone that only a resize clears, and a resize doubles the table. Every
distinct word ever seen in any zone therefore still costs table cells, so RSS
climbs in steps with the number of distinct words while the string count
stays flat. Reloading the pipeline is the bound that works.

Memory is "flat" when RSS after the last chunk is within ``max(16 MB, 5%)`` of
RSS after the first chunk, and "flat after warm-up" when it is within the same
of RSS at 30% of the stream (``warm`` mode's level is reached after its first
reloads: the strings and heap of a working pipeline); the growth per 100,000
records over the second half of the stream is shown too (≈0 when flat). String-store size is sampled
alongside, which tells vocabulary growth from allocator noise.

``--profile N`` profiles the full pipeline on N texts (pyinstrument when
installed, else cProfile; note that cProfile inflates spaCy's Cython calls,
which are built with profiling hooks on Python < 3.12) and prints the hottest
functions.

Every worker records which code it measured (commit, a hash of
``components/`` and ``resources/``, the model checksum). To measure one fixed
version while the tree is being edited, run against a snapshot::

    git archive HEAD | tar -x -C /tmp/snap && git rev-parse --short HEAD > /tmp/snap/COMMIT
    PYTHONPATH=/tmp/snap/src SAFEGUARD_NLP_MODEL=/tmp/snap/models/safeguard_pipeline \
        python benchmarks/throughput.py --records 20000 --seed 1

Usage::

    python benchmarks/throughput.py --records 20000 --seed 1 [--repeat 3] [--json out.json]
    python benchmarks/throughput.py --records 0 --stream 1000000 --stream-modes pipe-zone,annotate
    python benchmarks/throughput.py --records 0 --profile 5000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

DEFAULT_RECORDS = 20_000
DEFAULT_STREAM_WHEN_ASKED = 1_000_000
DEFAULT_CHUNK = 10_000
DEFAULT_BATCH = 256
DEFAULT_WARMUP = 500
THROUGHPUT_CONFIGS = ("bare", "tokenizer", "full", "annotate", "components")
STREAM_MODES = ("pipe-zone", "annotate", "annotate-chunked", "pipe-nozone", "warm")
TARGET_RATE = 5_000
TARGET_RATIO = 0.30
FLAT_ABS_MB = 16.0
FLAT_REL = 0.05
#: The share of a stream counted as warm-up for "flat after warm-up" (the first reloads of ``warm`` mode fall in it).
WARMUP_SHARE = 0.3

# ============================================================================ text generation
#
# Everything below is invented. Slots in braces are filled per record; the
# names of people, the surname, street and reference stay the same within one
# record, everything else is drawn afresh at each use.

GIRLS = ["Amara", "Bella", "Chloe", "Darcy", "Ellie", "Freya", "Gracie", "Holly", "Isla", "Jasmine", "Kayla",
         "Lexi", "Millie", "Niamh", "Orla", "Phoebe", "Rosie", "Sienna", "Tilly", "Willow", "Zainab", "Maisie",
         "Keira", "Aaliyah", "Ebony", "Paige", "Shannon", "Demi", "Courtney", "Ayesha", "Oliwia", "Wiktoria"]
BOYS = ["Alfie", "Brandon", "Callum", "Dylan", "Ethan", "Finley", "George", "Harley", "Jack", "Kyle", "Logan",
        "Mohammed", "Noah", "Owen", "Preston", "Reece", "Sonny", "Theo", "Tommy", "Zayn", "Connor", "Declan",
        "Jaxon", "Kacper", "Ashton", "Bailey", "Corey", "Louie", "Ruben", "Ahmed", "Filip", "Travis"]
WOMEN = ["Sharon", "Kelly", "Donna", "Lisa", "Michelle", "Nicola", "Stacey", "Jade", "Amy", "Hayley", "Natalie",
         "Samantha", "Claire", "Joanne", "Danielle", "Gemma", "Kirsty", "Aneta", "Fatima", "Shanice", "Tracey"]
MEN = ["Darren", "Lee", "Jason", "Carl", "Paul", "Mark", "Scott", "Craig", "Dean", "Shane", "Gary", "Wayne",
       "Kevin", "Jamie", "Ricky", "Tariq", "Piotr", "Marcus", "Liam", "Ross", "Steven"]
COMMON_SURNAMES = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
                   "Roberts", "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Green",
                   "Hall", "Wood", "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Khan", "Begum", "Ali", "Patel"]
STREET_SUFFIXES = ["Road", "Street", "Close", "Avenue", "Lane", "Court", "Drive", "Way", "Crescent", "Grove",
                   "Terrace", "Gardens", "Walk", "Mews", "Rise", "Place", "View", "Row"]
TOWN_SUFFIXES = ["", "", " Green", " Heath", " Vale", " Bridge", " Park", " Moor", " End", " Cross"]

# Pieces of invented words: onset + vowel + middle + (vowel) + ending gives
# millions of pronounceable surnames, so the vocabulary never stops growing.
_ONSETS = ["b", "br", "c", "ch", "cr", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pr",
           "qu", "r", "s", "sh", "st", "t", "th", "tr", "v", "w", "wh", "y", "z"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "oo", "ou", "y"]
_MIDS = ["b", "bb", "ck", "d", "dd", "g", "l", "ll", "m", "mm", "n", "nn", "nd", "ng", "nt", "p", "r", "rr", "rt",
         "s", "ss", "st", "t", "tt", "v", "x", "z", "rl", "lk", "sk"]
_ENDINGS = ["", "by", "den", "er", "ey", "ford", "ham", "ick", "ing", "ison", "ley", "man", "more", "ock", "ridge",
            "sey", "son", "ston", "ton", "well", "wick", "worth", "ard", "ell", "in", "ott"]

INJURIES = ["bruising", "a bruise", "fingertip bruising", "a red mark", "red marks", "swelling", "a cut", "a graze",
            "scratches", "a black eye", "grip marks", "a burn", "a split lip", "a lump", "a laceration",
            "a bite mark", "a nosebleed", "petechiae", "a scald", "a handprint"]
BODY = ["to her left cheek", "to his right cheek", "on the upper arm", "to the L forearm", "above the R eye",
        "on the back of the neck", "to both wrists", "on the inner thigh", "to the forehead", "behind the ear",
        "on the shin", "to the lower back", "around the neck", "on the R hand", "to the jaw", "on the chest"]
QUOTES = ["my dad hit me", "I don't want to go home", "mum was screaming at him", "he pushed me into the door",
          "I'm scared of him when he drinks", "I just wanted some space", "nobody listens to me",
          "I want to live with my nan", "she locks me in my room", "it was an accident, I fell",
          "I was at a mate's house", "he said he'd hurt my mum", "I'm fine, leave me alone",
          "I hate it at home", "they shout all the time", "I didn't eat yesterday"]
PLACES = ["the bus station", "the retail park", "McDonald's on the high street", "the skate park", "the canal towpath",
          "a friend's address", "the train station", "a takeaway in the town centre", "an underpass", "the beach",
          "a garage block", "the shopping centre", "a park", "a house party", "a hotel"]
CLOTHES = ["a black North Face jacket", "grey trackies and white trainers", "school uniform", "a pink hoodie",
           "a blue puffer coat", "black leggings and a grey top", "a red Nike tracksuit", "a camo jacket"]
SUBSTANCES = ["cannabis", "alcohol", "nitrous oxide", "vodka", "cocaine", "ketamine", "spice", "cider", "weed"]
PARTNERS = ["partner", "ex-partner", "husband", "boyfriend", "ex-husband", "estranged husband", "ex boyfriend"]
CARERS = ["mum", "dad", "her foster carer", "his foster carer", "residential staff", "the care home", "nan",
          "the children's home", "his stepdad", "her aunt"]
RISK = ["STANDARD", "MEDIUM", "HIGH"]
AGENCIES = ["MASH", "CSC", "children's social care", "the duty SW", "Early Help", "EDT", "the allocated SW",
            "children's services", "the front door"]
HEALTH_NEEDS = ["insulin", "an inhaler", "epilepsy medication", "ADHD medication", "antibiotics"]
ACTS = ["hit", "slapped", "punched", "kicked", "grabbed", "pushed", "threw a cup at"]
STAFF = ["form tutor", "DSL", "head of year", "TA", "class teacher", "school nurse", "pastoral lead", "SENCO"]
ORDINALS = ["2nd", "3rd", "4th", "5th", "6th", "third", "fourth", "fifth", "9th", "12th"]

# ---------------------------------------------------------------------------- fragments by source

POLICE_DA = {
    "open": [
        "Officers attended {ADDR} at {T} following a 999 call from {CALLER} reporting shouting and banging.",
        "CAD {REF} - domestic at {ADDR}. Caller is a neighbour reporting a female screaming.",
        "Call from IP {W} {S} ({AA}) stating her {PARTNER} {M} {S2} has turned up at {ADDR} in drink and is refusing to leave.",
        "Log {REF}: verbal argument between IP and {PARTNER} at {ADDR}, {TOWN}.",
        "Attended {ADDR} re domestic, {T}. IP {W} {S} answered the door crying.",
        "999 call, open line, female heard saying get off me. Address traced to {ADDR}.",
    ],
    "body": [
        "IP states {PARTNER} grabbed her by the throat and pushed her against the wall.",
        "IP has {INJ} {BODY}, photographed by {OFF}.",
        "No visible injuries, IP declined medical attention.",
        "Chn {C} {CAGE} and {C2} ({A2}) present in the address, asleep upstairs at the time.",
        "Children not present, staying at maternal grandmother's overnight.",
        "{C} {CAGE} witnessed the incident and told officers '{Q}'.",
        "Suspect {M} {S2} (DOB {ADOB}) arrested for ABH and conveyed to custody.",
        "Suspect left prior to police arrival, area search negative, circulated on PNC.",
        "IP is {N} weeks pregnant and says the baby is due in the spring.",
        "History of DA between the couple, x{N} previous logs at this address.",
        "IP disclosed coercive control, {PARTNER} checks her phone and takes her bank card.",
        "Both parties had been drinking, {PARTNER} smelt strongly of alcohol.",
        "BWV on throughout. Neighbour at number {NUM} {ST} gave a first account.",
        "Kitchen door damaged and a hole punched in the living room wall.",
        "IP refused to provide a statement and does not support a prosecution.",
        "Baby {B} ({A_INF}) in a cot in the front room, appeared well and settled.",
        "No chn reside at the address, IP has no contact with her adult son.",
        "{C} ({A2}) was heard crying upstairs, seen by officers and not injured.",
        "Suspect made threats to kill and to burn the house down with the kids inside.",
        "{PARTNER} denies any assault and states IP attacked him first.",
    ],
    "close": [
        "DASH completed - {RISK} risk. PPN submitted for chn.",
        "DASH {RISK}. PPN submitted and shared with MASH. Crime ref {REF2}.",
        "No PPN required as no children at address. DASH standard.",
        "Referral to CSC to follow. OIC {OFF}.",
        "CSC informed via EDT at {T}. MARAC referral to be considered.",
        "PPN to be completed by {OFF} on return to station. Occ {REF2}.",
        "Advice given re DA support services, IDVA details provided. Log closed.",
    ],
}

POLICE_MFH = {
    "open": [
        "{C} {S} {CAGE} reported MFH by {CARER} at {T}, last seen leaving {ADDR} wearing {CLOTHES}.",
        "MISPER {C} {S} ({A}) from {ADDR}, {TOWN} - {RISK} risk.",
        "Missing from care: YP {C} {S} {CAGE} failed to return to the placement at {ST} by the {T} curfew.",
        "Report from {CARER} that {C} {CAGE} has gone missing after an argument at {T}.",
        "MFH {C} {S}, DOB {DOB}, missing from {ADDR} since {T}.",
    ],
    "body": [
        "This is {HIS} {ORD} missing episode this year.",
        "x{N} previous MFH, usually found in {TOWN}.",
        "Concerns re CSE, known to associate with older males in {TOWN}.",
        "Believed to be linked to county lines, previously found with cash and two phones.",
        "Phone off since {T}. {HE} has no money and needs {HEALTH}.",
        "Located at {T} by patrols at {PLACE}, safe and well, returned to {CARER}.",
        "{C} refused to say where {HE_L} had been or who {HE_L} was with.",
        "{C} told officers '{Q}'.",
        "Not believed to be missing at this stage, {HE_L} is absent with known whereabouts at a friend's house.",
        "Vehicle {VRM} seen collecting {HIM} from {ST} shortly before {T}.",
        "Snapchat messages show {HIM} arranging to meet someone met online.",
        "{HE} smelt of cannabis on return and had {INJ} {BODY} {HE_L} would not explain.",
        "Carer {W} {S2} states {C} has been self-harming and is low in mood.",
        "No concerns for {HIS} safety raised by family, {HE_L} often stays out late.",
        "Friend's parent {M} {S2} confirmed {C} stayed at their address on {ST}.",
        "{HE} was intoxicated on {SUB} when found and was checked over by paramedics.",
        "Enquiries made with {C}'s boyfriend, who is {AA}, no trace.",
    ],
    "close": [
        "RHI to be completed within 72 hrs. PPN submitted.",
        "Return interview to be arranged, CSC informed. Ref {REF}.",
        "Found safe and well, RHI requested. Log {REF}.",
        "Missing episode closed {D}. MFH ref {REF}.",
        "Strategy discussion requested with MASH due to CSE concerns. Log {REF}.",
    ],
}

POLICE_OTHER = {
    "open": [
        "Concern for welfare call re chn left alone at {ADDR}.",
        "YP {C} {S} found intoxicated at {PLACE} at {T} with a group of older youths.",
        "Report of a male shouting at a young child on {ST}, {TOWN}.",
        "ASB call to {ADDR}, loud music and a party with teenagers present.",
        "Call from school at {T} as {C} {CAGE} has not been collected.",
    ],
    "body": [
        "On arrival {C} {CAGE} answered the door, mum out shopping, back within ten minutes.",
        "Chn {C} and {C2} {AGES} found alone in the flat, no food in the fridge.",
        "House in a poor state, dog faeces on the floor and a strong smell of cannabis.",
        "Mum {W} {S} returned at {T} and became abusive towards officers.",
        "{C} was quiet and withdrawn and would not speak with officers.",
        "{C} said '{Q}' when asked if {HE_L} was OK.",
        "No injuries seen on either child.",
        "Both children appeared well cared for and were happy and smiling.",
        "Male {M} {S2} (DOB {ADOB}) identified as the person shouting, words of advice given.",
        "{C} was given a lift home and handed to {CARER}.",
        "Group dispersed under S35, {C} was the youngest present.",
        "{C} disclosed that an older male had given {HIM} {SUB} and asked for pictures.",
    ],
    "close": [
        "PPN submitted. Ref {REF}.",
        "Nothing further for police, log {REF} closed.",
        "Children's services informed at {T}. Log {REF}.",
        "PPN to follow, no offences disclosed. CAD {REF}.",
    ],
}

SCHOOL = {
    "open": [
        "{C} (Y{Y}) came to the DSL at break time and disclosed that {ADULT} {ACT} {HIM} last night.",
        "Y{Y} pupil {C} {S} arrived late at {T}, appeared hungry and tired; uniform unwashed.",
        "CPOMS entry by {STAFF} at {T}: {C} {S} (Y{Y}) upset in registration.",
        "During PE the {STAFF} noticed {INJ} {BODY} on {C} (Y{Y}).",
        "Concern logged by {STAFF}: {C} {CAGE} told friends {HE_L} is not allowed home.",
    ],
    "body": [
        "{INJ} observed {BODY}, {C} said '{Q}'.",
        "{C} told {HIS} {STAFF} {HE_L} doesn't want to go home.",
        "Attendance {PCT}% this term, absent x{N} Mondays.",
        "Parents not contacted as per advice from MASH.",
        "No marks seen. {C} was smiling and chatty in class.",
        "A friend reports {C} has been talking to an older boy online and sending pictures.",
        "{C} has been self-harming, superficial cuts to the forearm seen by the school nurse.",
        "{C} explained that mum's new partner shouts when he has been drinking.",
        "Mum {W} {S} phoned at {T} to say {C} would be absent with a sore throat.",
        "{C} wants to stay in school over lunch because {HE_L} feels safe here.",
        "Sibling {C2} (Y{Y2}) spoken to separately and said nothing had happened.",
        "{HE} was tearful and flinched when the teacher raised her voice.",
        "Dad {M} {S} collected {HIM} at {T}, smelt of alcohol, staff concerned.",
        "{C} has free school meals and often has no coat or packed lunch.",
    ],
    "close": [
        "DSL rang MASH at {T}, referral made. CPOMS ref {REF}.",
        "Referral to CSC completed by the DSL. Log {REF}.",
        "To monitor, no referral at this stage. CPOMS {REF}.",
        "Discussed with the DDSL, early help to be offered. Ref {REF}.",
        "MASH contacted, advice to speak with parents. Ref {REF}.",
    ],
}

SOCIAL_CARE = {
    "open": [
        "Home visit to {ADDR} by SW {W2} {S3}. {W} {S} and chn {C} {CAGE} and {C2} ({A2}) present.",
        "Unannounced visit to {ADDR} at {T}. Nobody answered, curtains closed.",
        "Contact from {AGENCY} re {C} {S} {CAGE}, concerns about neglect.",
        "Case note {REF}: visit to {C} {S} at the foster placement on {ST}.",
        "Initial assessment visit to {W} {S} at {ADDR}, {TOWN}.",
    ],
    "body": [
        "House very cluttered, smell of cannabis, dog faeces on the floor.",
        "{C} was seen alone in {HIS} bedroom and said {HE_L} likes living with mum but is scared when {M} shouts.",
        "Baby {B} ({A_INF}) settled, feeding well and gaining weight.",
        "Strategy discussion held {D}, agreed s47 enquiries.",
        "CP plan under the category of neglect; core group {D}.",
        "Mum denies any contact with {M}, however his car {VRM} was parked outside.",
        "Early help assessment closed, step up to CSC.",
        "{C} would not engage, kept headphones on and looked at {HIS} phone.",
        "{C} wishes to see dad more often and misses {HIS} nan.",
        "Fridge had milk and bread only; mum says she is waiting for her Universal Credit.",
        "No concerns about home conditions observed today.",
        "{W} reports low mood and has been prescribed sertraline by her GP.",
        "{C} has {INJ} {BODY}; mum says {HE_L} fell off a bike.",
        "Foster carer {W2} {S2} reports {C} has settled and is sleeping better.",
        "Both children were dressed appropriately and were laughing with their mum.",
    ],
    "close": [
        "Next visit {D}. Case note {REF}.",
        "Discussed with the team manager, s47 to continue. Ref {REF}.",
        "Referral to CAMHS to be made. Ref {REF}.",
        "No further action, case closed to CSC. Ref {REF}.",
        "Plan: weekly visits, review at the CIN meeting on {D}. Ref {REF}.",
    ],
}

HEALTH = {
    "open": [
        "{C} {S} DOB {DOB} attended ED at {T} with mum with {INJ} {BODY}.",
        "HV visit to {ADDR}: baby {B} ({A_INF}) well, alert and smiling.",
        "GP note: {C} {S} {CAGE} attended alone requesting contraception.",
        "School nurse drop-in: {C} (Y{Y}) attended with a headache and was tearful.",
        "Paediatric liaison note {REF} re {C} {S} ({A}).",
    ],
    "body": [
        "Explanation given inconsistent with the injury pattern, mum says {HE_L} fell off the sofa.",
        "Skeletal survey requested, paeds review booked for {D}.",
        "Mum {W} reports low mood and has started sertraline.",
        "Partner reported to be {AA}, {C} says they met online.",
        "Dad {M} smelt of alcohol at the appointment.",
        "{C} said '{Q}' when seen alone.",
        "No bruising or other injuries noted on examination.",
        "Growth below the 2nd centile, missed x{N} appointments.",
        "{C} has {HEALTH} but mum has not collected the prescription.",
        "Older sibling {C2} ({A2}) present and caring for the baby.",
        "Baby not brought to the last two appointments.",
        "{C} disclosed self-harm, cuts to the forearm, and suicidal thoughts last week.",
        "Mum {W} {S} 23 weeks pregnant, not booked for antenatal care.",
    ],
    "close": [
        "Safeguarding referral to CSC completed ({REF}).",
        "Discussed with the safeguarding lead, decision to refer to MASH. Ref {REF}.",
        "No safeguarding concerns identified at this contact. Ref {REF}.",
        "Information shared with the GP and HV. Ref {REF}.",
        "CAMHS referral made, safety plan agreed. Ref {REF}.",
    ],
}

SOURCES = [("police_da", POLICE_DA, 0.25), ("police_mfh", POLICE_MFH, 0.15), ("police_other", POLICE_OTHER, 0.10),
           ("school", SCHOOL, 0.18), ("social_care", SOCIAL_CARE, 0.17), ("health", HEALTH, 0.15)]
#: Probability that a record of the source is written in capitals (police logs often are).
CAPS_RATE = {"police_da": 0.45, "police_mfh": 0.45, "police_other": 0.35, "school": 0.03, "social_care": 0.05,
             "health": 0.1}
LOWER_RATE = {"social_care": 0.08, "health": 0.08, "school": 0.05}


def _surname(rng: random.Random) -> str:
    """An invented surname (most of the time) or a common one."""
    if rng.random() < 0.25:
        return rng.choice(COMMON_SURNAMES)
    word = rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_MIDS)
    if rng.random() < 0.4:
        word += rng.choice(_VOWELS)
    return (word + rng.choice(_ENDINGS)).capitalize()


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


class NarrativeGenerator:
    """Deterministic invented narratives: record ``i`` depends only on ``(seed, i)``."""

    def __init__(self, seed: int, namespace: str = "main"):
        self.seed = seed
        self.namespace = namespace
        self._sources = [s for s, _, _ in SOURCES]
        self._weights = [w for _, _, w in SOURCES]
        self._fragments = {s: f for s, f, _ in SOURCES}

    def _unique_ref(self, i: int) -> str:
        # 97,654,321 is coprime with 10**8: a bijection on 0..10**8-1, so
        # every record of a run has its own number.
        n = (i * 97_654_321 + self.seed * 104_729 + len(self.namespace) * 31_337) % 10**8
        if self.namespace != "main":
            n = 10**8 + n  # nine digits: never equal to a timed record's reference
        return str(n).zfill(8)

    def record(self, i: int) -> str:
        rng = random.Random(f"{self.namespace}:{self.seed}:{i}")
        source = rng.choices(self._sources, self._weights)[0]
        frags = self._fragments[source]
        slots = self._slots(rng, source, i)

        def fill(template: str) -> str:
            out = []
            pos = 0
            while True:
                a = template.find("{", pos)
                if a < 0:
                    out.append(template[pos:])
                    return "".join(out)
                b = template.index("}", a)
                out.append(template[pos:a])
                key = template[a + 1 : b]
                value = slots[key]
                out.append(value(rng) if callable(value) else value)
                pos = b + 1

        target = rng.randint(56, 92)
        parts = [fill(rng.choice(frags["open"]))]
        closing = fill(rng.choice(frags["close"]))
        words = len(parts[0].split()) + len(closing.split())
        body = frags["body"][:]
        rng.shuffle(body)
        for template in body:
            if words >= target:
                break
            sentence = fill(template)
            sentence = sentence[:1].upper() + sentence[1:]
            parts.append(sentence)
            words += len(sentence.split())
        parts.append(closing)
        if slots["REF"] not in "".join(parts):
            parts.append(rng.choice(["Ref {}.", "Log {}.", "URN {}.", "Occ ref {}.", "Ref: {}"]).format(slots["REF"]))
        text = (rng.choice([" ", " ", " ", "  ", "\n"])).join(parts)
        style = rng.random()
        if style < CAPS_RATE[source]:
            text = text.upper()
        elif style > 1 - LOWER_RATE.get(source, 0):
            text = text.lower()
        return text

    def _slots(self, rng: random.Random, source: str, i: int) -> Dict[str, Any]:
        girl = rng.random() < 0.5
        young = source in ("health", "social_care", "police_da", "police_other")
        age = rng.randint(1, 11) if young and rng.random() < 0.6 else rng.randint(11, 17)
        age2 = rng.randint(1, 16)
        c = rng.choice(GIRLS if girl else BOYS)
        c2 = rng.choice([n for n in (BOYS if rng.random() < 0.5 else GIRLS) if n != c])
        ref = self._unique_ref(i)
        ref_shape = rng.randrange(6)
        ref = [ref, "SG" + ref, ref[:2] + "/" + ref[2:] + "/24", "CAD" + ref[-5:] + "-" + ref[:3], ref, "LCS" + ref][ref_shape]
        street = _surname(rng) + " " + rng.choice(STREET_SUFFIXES)
        town = _surname(rng) + rng.choice(TOWN_SUFFIXES)
        s, s2, s3 = _surname(rng), _surname(rng), _surname(rng)
        year = 2024 - age
        dob = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year if rng.random() < 0.7 else str(year)[2:]}"

        def cage(r: random.Random) -> str:
            return r.choice([f"{age}yo", f"({age})", f"aged {age}", f"{age} yrs", f"{age} y/o", f"{age}yrs",
                             f"{age} years old", f"({age}yrs)"])

        def ages(r: random.Random) -> str:
            a, b = sorted((age, age2))
            return r.choice([f"({a} & {b})", f"aged {a} and {b}", f"({a}, {b})", f"{a}yo and {b}yo"])

        def time_(r: random.Random) -> str:
            h, m = r.randrange(24), r.randrange(60)
            return r.choice([f"{h:02d}{m:02d}hrs", f"{h:02d}:{m:02d}", f"{h:02d}{m:02d}", f"{h:02d}{m:02d} hrs",
                             f"{(h % 12) or 12}.{m:02d}{'pm' if h >= 12 else 'am'}"])

        def date_(r: random.Random) -> str:
            d, mo = r.randint(1, 28), r.randint(1, 12)
            months = ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"]
            return r.choice([f"{d:02d}/{mo:02d}/24", f"{d}/{mo}", f"{d} {months[mo - 1]}", f"{d:02d}.{mo:02d}.2024"])

        def officer(r: random.Random) -> str:
            return f"{r.choice(['PC', 'PC', 'PS', 'DC', 'PCSO'])} {r.randint(100, 9999)} {_surname(r)}"

        def vrm(r: random.Random) -> str:
            letters = "ABCDEFGHJKLMNOPRSTUVWXY"
            return (r.choice(letters) + r.choice(letters) + f"{r.randint(2, 24):02d} "
                    + "".join(r.choice(letters) for _ in range(3)))

        return {
            "C": c, "C2": c2, "B": rng.choice([n for n in GIRLS + BOYS if n not in (c, c2)]),
            "S": s, "S2": s2, "S3": s3, "ST": street, "TOWN": town, "REF": ref,
            "W": rng.choice(WOMEN), "W2": rng.choice(WOMEN), "M": rng.choice(MEN),
            "HE": "She" if girl else "He", "HE_L": "she" if girl else "he", "HIS": "her" if girl else "his",
            "HIM": "her" if girl else "him",
            "A": str(age), "A2": str(age2), "A_INF": rng.choice([f"{rng.randint(1, 11)}/12", f"{rng.randint(2, 20)} weeks",
                                                                  f"{rng.randint(2, 11)} months", f"{rng.randint(3, 9)}/52"]),
            "AA": str(rng.randint(19, 52)), "Y": str(rng.randint(7, 11)), "Y2": str(rng.randint(7, 11)),
            "ADOB": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1970, 2004)}",
            "DOB": dob, "CAGE": cage, "AGES": ages, "T": time_, "D": date_, "OFF": officer, "VRM": vrm,
            "ADDR": lambda r: f"{r.randint(1, 240)} {street}" if r.random() < 0.7 else f"Flat {r.randint(1, 60)}, {r.randint(1, 99)} {street}",
            "REF2": lambda r: f"{r.randint(10, 99)}/{_digits(r, r.choice([5, 6, 7]))}/{r.randint(19, 24)}",
            "CALLER": lambda r: r.choice(["the IP", "a neighbour", "the IP's mother", "a child at the address", "a passer-by"]),
            "PARTNER": rng.choice(PARTNERS), "INJ": lambda r: r.choice(INJURIES), "BODY": lambda r: r.choice(BODY),
            "Q": lambda r: r.choice(QUOTES), "PLACE": lambda r: r.choice(PLACES), "CLOTHES": lambda r: r.choice(CLOTHES),
            "SUB": lambda r: r.choice(SUBSTANCES), "CARER": rng.choice(CARERS), "RISK": lambda r: r.choice(RISK),
            "AGENCY": lambda r: r.choice(AGENCIES), "HEALTH": lambda r: r.choice(HEALTH_NEEDS),
            "ACT": lambda r: r.choice(ACTS), "STAFF": lambda r: r.choice(STAFF), "ORD": lambda r: r.choice(ORDINALS),
            "N": lambda r: str(r.randint(2, 14)), "NUM": lambda r: str(r.randint(1, 120)),
            "PCT": lambda r: str(r.randint(48, 93)),
            "ADULT": lambda r: r.choice(["dad", "mum", "her stepdad", "mum's boyfriend", "his uncle", "an older cousin"]),
        }

    def texts(self, n: int, start: int = 0) -> Iterator[str]:
        for i in range(start, start + n):
            yield self.record(i)


# ============================================================================ measurement helpers


def pin_to_one_cpu(cpu: Optional[int] = None) -> Optional[int]:
    """Pin this process to one CPU (the given one, else the first allowed); None where unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = cpu if cpu is not None and cpu in allowed else allowed[0]
    os.sched_setaffinity(0, {chosen})
    return chosen


def maxrss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float:
    """Current resident set size (VmRSS), falling back to the peak where /proc is missing."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return maxrss_mb()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit(here: Optional[str] = None) -> Optional[str]:
    try:
        here = here or os.path.dirname(os.path.abspath(__file__))
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True, text=True, timeout=10)
        if top.returncode != 0 or not os.path.abspath(here).startswith(top.stdout.strip()):
            return None
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here, capture_output=True,
                               text=True, timeout=10)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def code_fingerprint(nlp: Any = None) -> Dict[str, Optional[str]]:
    """Which code and rules a worker measured: the tree is edited while benchmarks run."""
    import hashlib

    import safeguard_nlp

    root = os.path.dirname(os.path.abspath(safeguard_nlp.__file__))
    digest = hashlib.sha256()
    for sub in ("components", "resources"):
        folder = os.path.join(root, sub)
        for name in sorted(os.listdir(folder)):
            if name.endswith((".py", ".jsonl")):
                digest.update(name.encode())
                with open(os.path.join(folder, name), "rb") as f:
                    digest.update(f.read())
    checksum = nlp.meta.get("safeguard_checksum") if nlp is not None and hasattr(nlp, "meta") else None
    commit = git_commit(root)
    marker = os.path.join(root, "..", "..", "COMMIT")  # written beside a `git archive` snapshot
    if commit is None and os.path.isfile(marker):
        with open(marker) as f:
            commit = f.read().strip() + " (snapshot)"
    return {"commit": commit, "package_dir": root, "components_sha": digest.hexdigest()[:12],
            "model_checksum": checksum[:12] if checksum else None}


def chunks(items: Iterable[str], size: int) -> Iterator[List[str]]:
    batch: List[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# ============================================================================ workers (run in subprocesses)


def _load_full():
    import safeguard_nlp

    return safeguard_nlp.load()


def run_throughput(config: str, args: argparse.Namespace) -> Dict[str, Any]:
    cpu = pin_to_one_cpu(args.cpu)
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    t_gen = time.perf_counter()
    gen = NarrativeGenerator(args.seed)
    texts = list(gen.texts(args.records))
    warm = list(NarrativeGenerator(args.seed, namespace="warmup").texts(args.warmup))
    gen_seconds = time.perf_counter() - t_gen
    n_words = sum(len(t.split()) for t in texts)
    assert len(set(texts)) == len(texts), "generated records are not all distinct"

    import spacy

    t_load = time.perf_counter()
    if config == "bare":
        nlp = spacy.blank("en")
    else:
        nlp = _load_full()
    load_seconds = time.perf_counter() - t_load
    bs = args.batch_size
    extra: Dict[str, Any] = {}

    if config == "bare":
        def run(items: List[str]) -> int:
            n = 0
            for doc in nlp.pipe(items, batch_size=bs):
                n += len(doc)
            return n
    elif config == "tokenizer":
        def run(items: List[str]) -> int:
            n = 0
            with nlp.select_pipes(disable=nlp.pipe_names):
                for doc in nlp.pipe(items, batch_size=bs):
                    n += len(doc)
            return n
    elif config == "full":
        positives: Dict[str, int] = {}

        def run(items: List[str]) -> int:
            n = 0
            for doc in nlp.pipe(items, batch_size=bs):
                n += len(doc)
                for key, value in doc._.signals.items():
                    if value:
                        positives[key] = positives.get(key, 0) + 1
            return n
        extra["signal_rates"] = positives
    elif config == "annotate":
        import safeguard_nlp

        positives = {}

        def run(items: List[str]) -> int:
            n = 0
            for result in safeguard_nlp.annotate(items, nlp, batch_size=bs):
                n += sum(len(v) for v in result["evidence"].values())
                for key, value in result["signals"].items():
                    if value:
                        positives[key] = positives.get(key, 0) + 1
            return n
        extra["signal_rates"] = positives
    elif config == "components":
        per: Dict[str, float] = {"tokenizer": 0.0}
        for name, _ in nlp.pipeline:
            per[name] = 0.0
        pipeline = list(nlp.pipeline)
        clock = time.process_time  # CPU time: robust to a shared core

        def run(items: List[str]) -> int:
            n = 0
            for text in items:
                t0 = clock()
                doc = nlp.make_doc(text)
                t1 = clock()
                per["tokenizer"] += t1 - t0
                for name, proc in pipeline:
                    doc = proc(doc)
                    t2 = clock()
                    per[name] += t2 - t1
                    t1 = t2
                n += len(doc)
            return n
        extra["component_seconds"] = per
    else:
        raise SystemExit(f"unknown config {config!r}")

    run(warm)
    if config in ("full", "annotate"):
        positives.clear()
    if config == "components":
        for k in per:
            per[k] = 0.0
    strings_before = len(nlp.vocab.strings)
    rss_before = current_rss_mb()
    peak_before = maxrss_mb()
    if args.tracemalloc:
        tracemalloc.reset_peak()
    c0, t0 = time.process_time(), time.perf_counter()
    tokens = run(texts)
    elapsed, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    result = {
        "config": config, "records": len(texts), "words": n_words, "tokens_or_items": tokens,
        "seconds": elapsed, "cpu_seconds": cpu_s, "records_per_s": len(texts) / elapsed,
        "words_per_s": n_words / elapsed, "peak_rss_mb": maxrss_mb(), "peak_rss_before_run_mb": peak_before,
        "rss_before_run_mb": rss_before, "rss_after_run_mb": current_rss_mb(),
        "strings_before": strings_before, "strings_after": len(nlp.vocab.strings),
        "load_seconds": load_seconds, "generate_seconds": gen_seconds, "cpu": cpu, "batch_size": bs,
        "code": code_fingerprint(None if config == "bare" else nlp),
        **extra,
    }
    if args.tracemalloc:
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    return result


def run_stream(mode: str, args: argparse.Namespace) -> Dict[str, Any]:
    cpu = pin_to_one_cpu(args.cpu)
    import safeguard_nlp

    nlp = safeguard_nlp.load()
    # Fingerprint the code now, as loaded: a long stream may outlive the working tree it started from.
    code = code_fingerprint(nlp)
    gen = NarrativeGenerator(args.seed, namespace="stream")
    list(safeguard_nlp.annotate(list(NarrativeGenerator(args.seed, namespace="warmup").texts(200)), nlp))
    n, chunk, bs = args.stream, args.chunk, args.batch_size
    samples: List[Dict[str, Any]] = []
    t0 = time.perf_counter()
    start_rss, start_strings = current_rss_mb(), len(nlp.vocab.strings)
    gen_time = [0.0]
    progress_every = max(1, args.progress)

    def texts() -> Iterator[str]:
        clock = time.perf_counter
        for i in range(n):
            a = clock()
            text = gen.record(i)
            gen_time[0] += clock() - a
            yield text

    def sample(done: int) -> None:
        s = {"records": done, "seconds": time.perf_counter() - t0, "rss_mb": current_rss_mb(),
             "maxrss_mb": maxrss_mb(), "strings": len(nlp.vocab.strings),
             # spaCy 3.8's Vocab.length counts every lexeme ever added: leaving a memory zone
             # unindexes its lexemes but never decrements it, so this is a running total.
             "lexemes_added_total": len(nlp.vocab)}
        samples.append(s)
        if len(samples) % progress_every == 0 or done == n:
            print(f"[{mode}] {done:>9,} records  {s['seconds']:7.1f}s  RSS {s['rss_mb']:7.1f} MB  "
                  f"strings {s['strings']:>10,}", file=sys.stderr, flush=True)

    done = 0
    signals_true = 0
    extra_stream: Dict[str, Any] = {}
    if mode == "pipe-zone":
        for batch in chunks(texts(), chunk):
            with nlp.memory_zone():
                for doc in nlp.pipe(batch, batch_size=bs):
                    signals_true += sum(1 for v in doc._.signals.values() if v)
            done += len(batch)
            sample(done)
    elif mode == "pipe-nozone":
        for doc in nlp.pipe(texts(), batch_size=bs):
            signals_true += sum(1 for v in doc._.signals.values() if v)
            done += 1
            if done % chunk == 0 or done == n:
                sample(done)
    elif mode == "annotate":
        for result in safeguard_nlp.annotate(texts(), nlp, batch_size=bs):
            signals_true += sum(1 for v in result["signals"].values() if v)
            done += 1
            if done % chunk == 0 or done == n:
                sample(done)
    elif mode == "annotate-chunked":
        for batch in chunks(texts(), chunk):
            for result in safeguard_nlp.annotate(batch, nlp, batch_size=bs):
                signals_true += sum(1 for v in result["signals"].values() if v)
            done += len(batch)
            sample(done)
    elif mode == "warm":
        from safeguard_nlp.batch.process import WarmPipeline

        nlp = None
        warm = WarmPipeline(None, max_new_strings=args.string_budget)
        nlp = warm.nlp
        for batch in chunks(texts(), chunk):
            nlp = warm.get()
            for result in safeguard_nlp.annotate(batch, nlp, batch_size=bs, memory_zone=False):
                signals_true += sum(1 for v in result["signals"].values() if v)
            done += len(batch)
            sample(done)
        extra_stream["reloads"] = warm.reloads
    else:
        raise SystemExit(f"unknown stream mode {mode!r}")
    # After the loop: annotate()'s zone has closed, so this shows what it had held.
    end_after_exit = {"rss_mb": current_rss_mb(), "strings": len(nlp.vocab.strings)}
    elapsed = time.perf_counter() - t0
    return {
        "mode": mode, "records": done, "chunk": chunk, "seconds": elapsed, "records_per_s": done / elapsed,
        "generator_seconds": gen_time[0], "records_per_s_excl_generator": done / max(1e-9, elapsed - gen_time[0]),
        "rss_after_load_mb": start_rss, "strings_after_load": start_strings, "samples": samples,
        "after_loop": end_after_exit, "peak_rss_mb": maxrss_mb(), "cpu": cpu, "signals_true": signals_true,
        "code": code, **extra_stream,
    }


def _pyinstrument_available() -> bool:
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        return False
    return True


def run_profile(args: argparse.Namespace) -> Dict[str, Any]:
    import cProfile
    import io
    import pstats

    cpu = pin_to_one_cpu(args.cpu)
    nlp = _load_full()
    texts = list(NarrativeGenerator(args.seed, namespace="profile").texts(args.profile))
    list(nlp.pipe(list(NarrativeGenerator(args.seed, namespace="warmup").texts(200))))
    if args.profiler == "pyinstrument":
        # A sampling profiler: unlike cProfile it does not inflate the cost of
        # spaCy's many small Cython calls (spaCy is built with Cython's
        # profile hooks on Python < 3.12, so cProfile times every Token creation).
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        t0 = time.perf_counter()
        profiler.start()
        for doc in nlp.pipe(texts, batch_size=args.batch_size):
            doc._.signals
        profiler.stop()
        total = time.perf_counter() - t0
        if args.profile_out:
            with open(args.profile_out, "w") as f:
                f.write(profiler.output_html())
        report = profiler.output_text(unicode=False, color=False, show_all=False)
        return {"profiler": "pyinstrument", "records": len(texts), "cpu": cpu, "total_seconds": total,
                "code": code_fingerprint(nlp),
                "component_cumulative_s": {}, "report": report}
    prof = cProfile.Profile()
    prof.enable()
    for doc in nlp.pipe(texts, batch_size=args.batch_size):
        doc._.signals
    prof.disable()
    if args.profile_out:
        prof.dump_stats(args.profile_out)
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    total = stats.total_tt  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(45)
    components = {}
    for (path, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if func == "__call__" and "safeguard_nlp/components" in path.replace("\\", "/"):
            components[os.path.basename(path)] = ct
    return {"profiler": "cprofile", "records": len(texts), "cpu": cpu, "total_seconds": total, "code": code_fingerprint(nlp),
            "component_cumulative_s": components,
            "report": out.getvalue()}


# ============================================================================ orchestration (parent process)


def _spawn(kind: str, name: str, args: argparse.Namespace, cpu: Optional[int] = None) -> subprocess.Popen:
    cmd = [sys.executable, os.path.abspath(__file__), "--records", str(args.records), "--seed", str(args.seed),
           "--batch-size", str(args.batch_size), "--warmup", str(args.warmup), "--chunk", str(args.chunk),
           "--string-budget", str(args.string_budget), "--progress", str(args.progress), "--worker", f"{kind}:{name}"]
    if args.stream is not None:
        cmd += ["--stream", str(args.stream)]
    if args.profile:
        cmd += ["--profile", str(args.profile)]
    if args.profile_out:
        cmd += ["--profile-out", args.profile_out]
    if args.profiler:
        cmd += ["--profiler", args.profiler]
    if args.tracemalloc:
        cmd.append("--tracemalloc")
    if cpu is not None:
        cmd += ["--cpu", str(cpu)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)


def _collect(proc: subprocess.Popen) -> Dict[str, Any]:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"worker failed with exit code {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def throughput_table(results: Dict[str, List[Dict[str, Any]]]) -> str:
    def med(config: str, key: str) -> float:
        return statistics.median(r[key] for r in results[config])

    bare = med("bare", "records_per_s") if "bare" in results else None
    bare_cpu = statistics.median(r["records"] / r["cpu_seconds"] for r in results["bare"]) if "bare" in results else None
    lines = [f"{'config':<11} {'records':>8} {'runs':>4} {'rec/s':>9} {'min..max rec/s':>17} {'words/s':>10} "
             f"{'x bare':>7} {'rec/cpu-s':>9} {'x bare':>7} {'wall s':>7} {'cpu s':>7} {'peak RSS':>9} {'+RSS run':>9} "
             f"{'strings +':>10}"]
    for config in ("bare", "tokenizer", "full", "annotate", "components"):
        if config not in results:
            continue
        runs = results[config]
        rate = med(config, "records_per_s")
        lo, hi = min(r["records_per_s"] for r in runs), max(r["records_per_s"] for r in runs)
        ratio = f"{rate / bare:.3f}" if bare else "-"
        cpu_rate = statistics.median(r["records"] / r["cpu_seconds"] for r in runs)
        cpu_ratio = f"{cpu_rate / bare_cpu:.3f}" if bare_cpu else "-"
        row = (f"{config:<11} {runs[0]['records']:>8,} {len(runs):>4} {_fmt_rate(rate):>9} "
               f"{_fmt_rate(lo) + '..' + _fmt_rate(hi):>17} {_fmt_rate(med(config, 'words_per_s')):>10} {ratio:>7} "
               f"{_fmt_rate(cpu_rate):>9} {cpu_ratio:>7} "
               f"{med(config, 'seconds'):>7.2f} {med(config, 'cpu_seconds'):>7.2f} "
               f"{med(config, 'peak_rss_mb'):>6.0f} MB {med(config, 'rss_after_run_mb') - med(config, 'rss_before_run_mb'):>+6.1f} MB "
               f"{med(config, 'strings_after') - med(config, 'strings_before'):>+10,.0f}")
        if "tracemalloc_peak_mb" in runs[0]:
            row += f"  tracemalloc peak {med(config, 'tracemalloc_peak_mb'):.1f} MB"
        lines.append(row)
    if "components" in results:
        per = results["components"][0]["component_seconds"]
        total = sum(per.values())
        lines.append("")
        lines.append("per-component CPU time (component-by-component run, first repeat):")
        for name, secs in per.items():
            lines.append(f"  {name:<20} {secs:8.2f} s  {100 * secs / total:5.1f}%  "
                         f"{1e6 * secs / results['components'][0]['records']:8.1f} us/record")
    return "\n".join(lines)


def verdicts(results: Dict[str, List[Dict[str, Any]]]) -> List[str]:
    out = []
    def rates(config: str) -> tuple:
        runs = results[config]
        return (statistics.median(r["records_per_s"] for r in runs),
                statistics.median(r["records"] / r["cpu_seconds"] for r in runs))

    for config in ("full", "annotate"):
        if config not in results:
            continue
        wall, cpu = rates(config)
        out.append(f"{config}: {wall:,.0f} rec/s wall ({cpu:,.0f} per CPU-second) vs target >= {TARGET_RATE:,}: "
                   f"{'MET' if min(wall, cpu) >= TARGET_RATE else 'MET on CPU time only' if cpu >= TARGET_RATE else 'NOT MET'}")
        if "bare" in results:
            bwall, bcpu = rates("bare")
            out.append(f"{config} / bare = {wall / bwall:.3f} wall ({cpu / bcpu:.3f} CPU) vs target >= {TARGET_RATIO}: "
                       f"{'MET' if min(wall / bwall, cpu / bcpu) >= TARGET_RATIO else 'NOT MET'}")
    return out


def stream_summary(res: Dict[str, Any]) -> Dict[str, Any]:
    samples = res["samples"]
    first, last = samples[0], samples[-1]
    mid = samples[(len(samples) - 1) // 2]
    half = samples[len(samples) // 2 :]
    slope = None
    if len(half) >= 2 and half[-1]["records"] > half[0]["records"]:
        slope = (half[-1]["rss_mb"] - half[0]["rss_mb"]) / (half[-1]["records"] - half[0]["records"]) * 100_000
    growth = last["rss_mb"] - first["rss_mb"]
    flat = growth <= max(FLAT_ABS_MB, FLAT_REL * first["rss_mb"])
    # After warm-up: from the sample at WARMUP_SHARE of the stream (the string store and heap at working size).
    steady = next((x for x in samples if x["records"] >= WARMUP_SHARE * last["records"]), first)
    steady_growth = last["rss_mb"] - steady["rss_mb"]
    steady_flat = steady_growth <= max(FLAT_ABS_MB, FLAT_REL * steady["rss_mb"])
    return {"after_load_mb": res["rss_after_load_mb"], "first_chunk_mb": first["rss_mb"], "middle_mb": mid["rss_mb"],
            "middle_records": mid["records"], "end_mb": last["rss_mb"], "growth_mb": growth,
            "growth_mb_per_100k_second_half": slope, "flat": flat, "peak_mb": res["peak_rss_mb"],
            "steady_from_records": steady["records"], "steady_from_mb": steady["rss_mb"], "steady_growth_mb": steady_growth,
            "steady_flat": steady_flat,
            "strings_first": first["strings"], "strings_end": last["strings"],
            "after_loop_mb": res["after_loop"]["rss_mb"], "strings_after_loop": res["after_loop"]["strings"]}


def stream_table(results: List[Dict[str, Any]]) -> str:
    lines = [f"{'mode':<17} {'records':>10} {'rec/s':>7} {'after load':>10} {'1st chunk':>10} {'middle':>10} "
             f"{'end':>10} {'growth':>9} {'MB/100k':>8} {'strings 1st..end':>22} {'after loop':>18} {'flat':>5} "
             f"{'steady growth':>14} {'flat after warm-up':>18}"]
    for res in results:
        s = stream_summary(res)
        slope = f"{s['growth_mb_per_100k_second_half']:+.1f}" if s["growth_mb_per_100k_second_half"] is not None else "-"
        lines.append(
            f"{res['mode']:<17} {res['records']:>10,} {res['records_per_s']:>7,.0f} {s['after_load_mb']:>7.1f} MB "
            f"{s['first_chunk_mb']:>7.1f} MB {s['middle_mb']:>7.1f} MB {s['end_mb']:>7.1f} MB {s['growth_mb']:>+6.1f} MB "
            f"{slope:>8} {s['strings_first']:>10,}..{s['strings_end']:<10,} "
            f"{s['after_loop_mb']:>6.1f} MB/{s['strings_after_loop']:<8,} {'yes' if s['flat'] else 'NO':>5} "
            f"{s['steady_growth_mb']:>+11.1f} MB {'yes' if s['steady_flat'] else 'NO':>18}")
    lines.append(f"(flat = end RSS within max({FLAT_ABS_MB:.0f} MB, {FLAT_REL:.0%}) of RSS after the first chunk; "
                 f"flat after warm-up = the same from the sample at {WARMUP_SHARE:.0%} of the stream, once the string store "
                 "and the heap have reached their working size; "
                 "'after loop' = RSS / string count once the loop, and any zone it held, has ended)")
    return "\n".join(lines)


def _write_json(path: str, data: Dict[str, Any]) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def _print_code(codes: Iterable[Optional[Dict[str, Any]]]) -> None:
    seen = sorted({json.dumps(c, sort_keys=True) for c in codes if c and c.get("components_sha")})
    models = {json.loads(c)["model_checksum"] for c in seen} - {None}
    shas = {json.loads(c)["components_sha"] for c in seen}
    commits = {json.loads(c)["commit"] for c in seen}
    print(f"code measured: commit {', '.join(sorted(map(str, commits)))}; components+resources sha "
          f"{', '.join(sorted(shas))}; model checksum {', '.join(sorted(models)) or '-'}")
    if len(shas) > 1 or len(models) > 1:
        print("WARNING: the pipeline code or model changed between runs; figures mix versions")


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=DEFAULT_RECORDS, help="records per throughput run (0 skips throughput)")
    p.add_argument("--seed", type=int, default=1, help="generator seed (same seed, same texts)")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help="nlp.pipe / annotate batch size")
    p.add_argument("--repeat", type=int, default=1, help="fresh-process runs per configuration (median reported)")
    p.add_argument("--configs", default=",".join(THROUGHPUT_CONFIGS), help="comma list of " + ", ".join(THROUGHPUT_CONFIGS))
    p.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help="warm-up records (other texts) before timing")
    p.add_argument("--tracemalloc", action="store_true", help="also report the tracemalloc peak (slows the runs)")
    p.add_argument("--stream", type=int, nargs="?", const=DEFAULT_STREAM_WHEN_ASKED, default=None,
                   help=f"memory-flatness stream of N records (default {DEFAULT_STREAM_WHEN_ASKED:,} when given bare)")
    p.add_argument("--stream-modes", default="pipe-zone,annotate", help="comma list of " + ", ".join(STREAM_MODES))
    p.add_argument("--string-budget", type=int, default=50_000,
                   help="warm stream mode: reload the pipeline after this many new strings (the scanner's default)")
    p.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help="records per memory zone / RSS sample in --stream")
    p.add_argument("--jobs", type=int, default=1, help="stream modes run at once, each pinned to its own CPU")
    p.add_argument("--progress", type=int, default=10, help="print stream progress every this many chunks")
    p.add_argument("--profile", type=int, default=0, help="cProfile the full pipeline on N texts")
    p.add_argument("--profiler", choices=("pyinstrument", "cprofile"), default=None,
                   help="profiler for --profile (default: pyinstrument when installed, else cProfile)")
    p.add_argument("--profile-out", default=None, help="write the cProfile stats (or pyinstrument HTML) to this file")
    p.add_argument("--cpu", type=int, default=None, help="CPU to pin workers to (default: first allowed)")
    p.add_argument("--json", default=None, help="write all figures to this JSON file")
    p.add_argument("--sample", type=int, default=0, help="print N generated records and exit")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.profiler is None:
        args.profiler = "pyinstrument" if _pyinstrument_available() else "cprofile"
    if args.worker:
        kind, name = args.worker.split(":", 1)
        if kind == "throughput":
            result = run_throughput(name, args)
        elif kind == "stream":
            result = run_stream(name, args)
        else:
            result = run_profile(args)
        print(json.dumps(result))
        return 0

    if args.sample:
        for text in NarrativeGenerator(args.seed).texts(args.sample):
            print(text, end="\n\n")
        return 0

    import spacy

    env = {"python": platform.python_version(), "spacy": spacy.__version__, "cpu_model": cpu_model(),
           "cpus_allowed": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
           "platform": platform.platform(), "commit": git_commit(), "argv": sys.argv[1:]}
    report: Dict[str, Any] = {"env": env, "args": {k: v for k, v in vars(args).items() if k != "worker"}}
    print(f"safeguard-nlp throughput benchmark  python {env['python']}  spaCy {env['spacy']}  "
          f"commit {env['commit']}\nCPU: {env['cpu_model']} ({env['cpus_allowed']} allowed; each run pinned to one)")

    if args.records > 0:
        configs = [c.strip() for c in args.configs.split(",") if c.strip()]
        results: Dict[str, List[Dict[str, Any]]] = {}
        print(f"\nthroughput: {args.records:,} records, seed {args.seed}, batch_size {args.batch_size}, "
              f"{args.repeat} fresh process(es) per config")
        for rep in range(args.repeat):
            for config in configs:
                if config == "components" and rep > 0:
                    continue  # a diagnostic breakdown: once is enough
                res = _collect(_spawn("throughput", config, args, args.cpu))
                results.setdefault(config, []).append(res)
                if args.json:  # partial results survive an interrupted run
                    _write_json(args.json, {**report, "throughput": results, "partial": True})
                print(f"  run {rep + 1}: {config:<10} {res['records_per_s']:>9,.0f} rec/s  "
                      f"peak RSS {res['peak_rss_mb']:.0f} MB", flush=True)
        print()
        print(throughput_table(results))
        _print_code(r.get("code") for runs in results.values() for r in runs)
        for rate_key in ("full", "annotate"):
            if rate_key in results and results[rate_key][0].get("signal_rates"):
                rates = results[rate_key][0]["signal_rates"]
                n = results[rate_key][0]["records"]
                print(f"\nsignal rates ({rate_key}): " + ", ".join(f"{k} {v / n:.0%}" for k, v in sorted(rates.items())))
                break
        print()
        for line in verdicts(results):
            print(line)
        report["throughput"] = results
        report["verdicts"] = verdicts(results)

    if args.stream:
        modes = [m.strip() for m in args.stream_modes.split(",") if m.strip()]
        allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [None]
        print(f"\nstream: {args.stream:,} records per mode, memory zone / RSS sample every {args.chunk:,}, "
              f"modes {', '.join(modes)}, {args.jobs} at a time", flush=True)
        stream_results: List[Dict[str, Any]] = []
        pending = list(modes)
        while pending:
            wave, pending = pending[: args.jobs], pending[args.jobs :]
            procs = [_spawn("stream", m, args, allowed[i % len(allowed)] if args.jobs > 1 else args.cpu)
                     for i, m in enumerate(wave)]
            stream_results += [_collect(p) for p in procs]
        print()
        print(stream_table(stream_results))
        _print_code(r.get("code") for r in stream_results)
        for res in stream_results:
            s = stream_summary(res)
            print(f"  {res['mode']}: start {s['first_chunk_mb']:.1f} MB (after {res['chunk']:,}), middle "
                  f"{s['middle_mb']:.1f} MB (after {s['middle_records']:,}), end {s['end_mb']:.1f} MB "
                  f"(after {res['records']:,}): growth {s['growth_mb']:+.1f} MB -> {'flat' if s['flat'] else 'GROWS'}; "
                  f"after warm-up ({s['steady_from_mb']:.1f} MB after {s['steady_from_records']:,}) "
                  f"{s['steady_growth_mb']:+.1f} MB -> {'flat' if s['steady_flat'] else 'GROWS'}; "
                  f"{res['records_per_s']:,.0f} rec/s incl. generator, {res['records_per_s_excl_generator']:,.0f} excl.")
        report["stream"] = [{**r, "summary": stream_summary(r)} for r in stream_results]

    if args.profile:
        res = _collect(_spawn("profile", "full", args, args.cpu))
        print(f"\nprofile: full pipeline on {res['records']:,} texts, {res['total_seconds']:.2f} s under {res['profiler']}")
        for name, secs in sorted(res["component_cumulative_s"].items(), key=lambda kv: -kv[1]):
            print(f"  {name:<14} {secs:7.2f} s cumulative")
        print(res["report"])
        report["profile"] = res

    if args.json:
        _write_json(args.json, report)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
