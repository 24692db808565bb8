"""The figures of an audit report, computed in one pass over a scan's rows.

Every figure keeps its sample size: a rate is always ``count`` of ``base``,
and the base says which records it counts. Rates are of the records that
were read and analysed (status ``ok``); records with no narrative (``empty``)
and records that could not be processed (``quarantined``) are counted apart.

Two lists are kept for the auditor, each capped at ``max_listed`` records
(the full list is a filter on the scan output):

* records where children were present but the child's voice is not recorded
  (``lacks_child_voice``), domestic-abuse incidents first;
* missing-child episodes carrying risk factors, the records with the most
  risk factors first.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..batch import rows as R
from ..batch.sources import parse_when
from ..schema import RISK_FACTORS

DEFAULT_MAX_LISTED = 500

#: Plain-English names of the flags, for people who do not read field names.
FLAG_TITLES: Dict[str, str] = {
    "children_present": "Children present",
    "injury": "Injury recorded",
    "child_injury": "Injury to a child",
    "missing_episode": "Child missing (current or recent)",
    "child_voice": "Child's voice recorded",
    "lacks_child_voice": "Children present, child's voice not recorded",
    "domestic_abuse": "Domestic abuse",
    "referral": "Referral to children's services",
}
RISK_TITLES: Dict[str, str] = {
    "repeat_missing": "Repeat missing",
    "sexual_exploitation": "Sexual exploitation",
    "criminal_exploitation": "Criminal exploitation",
    "substance_misuse": "Substance misuse",
    "mental_health": "Mental health",
    "risky_associates": "Risky associates",
    "looked_after": "Looked after",
    "online_contact": "Online contact",
    "health_needs": "Health needs",
}
for _cat, _title in RISK_TITLES.items():
    FLAG_TITLES[f"risk:{_cat}"] = f"Risk factor: {_title.lower()}"

#: The series of the by-month and by-group breakdowns.
TREND_FLAGS: Tuple[str, ...] = ("lacks_child_voice", "domestic_abuse", "missing_episode", "child_injury", "referral")

#: Evidence fields shown beside each listed record.
VOICE_FIELDS: Tuple[str, ...] = ("children_present", "child_voice", "lacks_child_voice")
MISSING_FIELDS: Tuple[str, ...] = ("missing_episode", "risk_factors")

_MONTH = re.compile(r"^\s*(\d{4})-(\d{2})")


def flag_title(flag: str) -> str:
    return FLAG_TITLES.get(flag, flag)


def month_of(value: Optional[str]) -> Optional[str]:
    """``YYYY-MM`` of a record date (ISO 8601 text, or anything :func:`parse_when` reads), else None."""
    if not value:
        return None
    m = _MONTH.match(value)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{m.group(2)}"
    when = parse_when(value)
    return when.strftime("%Y-%m") if when else None


@dataclass
class Share:
    """``count`` of ``base`` records, and what the base is."""

    count: int
    base: int

    @property
    def rate(self) -> Optional[float]:
        return self.count / self.base if self.base else None

    def percent(self) -> str:
        r = self.rate
        return "n/a" if r is None else f"{100 * r:.1f}%"


@dataclass
class Listed:
    """A record on one of the auditor's lists: identity, flags and its evidence (plain data)."""

    id: str
    record_date: Optional[str]
    group: Optional[str]
    flags: List[str]
    risk_factors: List[str]
    child_ages: List[int]
    evidence: Dict[str, List[Dict[str, Any]]]


@dataclass
class Figures:
    """Everything a report shows. Build it with :func:`compute`."""

    records: int = 0
    status: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)
    months: Dict[str, Counter] = field(default_factory=dict)
    undated: int = 0
    groups: Optional[Dict[str, Counter]] = None
    ungrouped: int = 0
    pipeline_versions: Counter = field(default_factory=Counter)
    model_checksums: Counter = field(default_factory=Counter)
    first_date: Optional[str] = None
    last_date: Optional[str] = None
    snippets: bool = False
    evidence_rows: int = 0
    # headline counts
    children_present: int = 0
    voice_among_children: int = 0
    da_children: int = 0
    da_children_voice: int = 0
    da_children_referral: int = 0
    injury: int = 0
    child_injury: int = 0
    missing: int = 0
    missing_with_risk: int = 0
    missing_risk: Counter = field(default_factory=Counter)
    high_risk: Tuple[str, ...] = RISK_FACTORS
    max_listed: int = DEFAULT_MAX_LISTED
    lacking_voice: List[Listed] = field(default_factory=list)
    lacking_voice_total: int = 0
    missing_listed: List[Listed] = field(default_factory=list)
    missing_listed_total: int = 0

    @property
    def analysed(self) -> int:
        return self.status.get(R.STATUS_OK, 0)

    def headlines(self) -> List[Tuple[str, Share, str]]:
        """(title, share, what the base is) for each headline figure, in the inspection's own terms."""
        n = self.analysed
        return [
            ("Domestic-abuse incidents with children present that record the child's voice",
             Share(self.da_children_voice, self.da_children), "domestic-abuse incidents with children present"),
            ("Records with children present that do not record the child's voice",
             Share(self.children_present - self.voice_among_children, self.children_present),
             "records with children present"),
            ("Domestic-abuse incidents with children present that record a referral to children's services",
             Share(self.da_children_referral, self.da_children), "domestic-abuse incidents with children present"),
            ("Missing-child episodes with at least one risk factor",
             Share(self.missing_with_risk, self.missing), "missing-child episodes"),
            ("Records of an injury that record an injury to a child",
             Share(self.child_injury, self.injury), "records of an injury"),
            ("Records with a missing-child episode", Share(self.missing, n), "records analysed"),
        ]

    def flag_rates(self) -> List[Tuple[str, Share]]:
        return [(f, Share(self.flags.get(f, 0), self.analysed)) for f in R.FLAG_NAMES]

    def risk_rates(self) -> List[Tuple[str, Share]]:
        """Each risk factor among missing-child episodes."""
        return [(c, Share(self.missing_risk.get(c, 0), self.missing)) for c in RISK_FACTORS]

    def month_rows(self) -> List[Tuple[str, Counter]]:
        return sorted(self.months.items())

    def group_rows(self) -> List[Tuple[str, Counter]]:
        if self.groups is None:
            return []
        return sorted(self.groups.items(), key=lambda kv: (-kv[1]["records"], kv[0]))


def _listed(row: Dict[str, Any], group: Optional[str], fields: Sequence[str]) -> Listed:
    ev = row.get("evidence") or {}
    return Listed(
        id=row.get("id") or "", record_date=row.get("record_date"), group=group, flags=list(row.get("flags") or []),
        risk_factors=list(row.get("risk_factors") or []), child_ages=[int(a) for a in row.get("child_ages") or []],
        evidence={f: list(ev.get(f) or []) for f in fields if ev.get(f)},
    )


def _has_snippets(evidence: Dict[str, Any]) -> bool:
    for items in evidence.values():
        for item in items or ():
            if isinstance(item, dict) and ("snippet" in item or "text" in item):
                return True
    return False


def compute(rows: Iterable[Dict[str, Any]], *, groups: Optional[Dict[str, str]] = None,
            high_risk: Optional[Sequence[str]] = None, max_listed: int = DEFAULT_MAX_LISTED) -> Figures:
    """The figures of rows read by :func:`safeguard_nlp.report.results.iter_results`.

    ``groups`` maps record ids to a group (the input's ``source`` column, say)
    for a breakdown by group. ``high_risk`` names the risk factors that put a
    missing episode on the list (default: any risk factor).
    """
    hr = tuple(high_risk) if high_risk else RISK_FACTORS
    unknown = [c for c in hr if c not in RISK_FACTORS]
    if unknown:
        raise ValueError(f"unknown risk factor(s): {', '.join(unknown)} (known: {', '.join(RISK_FACTORS)})")
    fig = Figures(high_risk=hr, max_listed=max_listed)
    if groups is not None:
        fig.groups = {}
    da_first: List[Listed] = []
    others: List[Listed] = []
    heap: List[Tuple[int, int, int, Listed]] = []  # (n risk factors, -seq, seq, record): the smallest is dropped
    for seq, row in enumerate(rows):
        fig.records += 1
        status = row.get("status") or R.STATUS_OK
        fig.status[status] += 1
        if row.get("pipeline_version"):
            fig.pipeline_versions[row["pipeline_version"]] += 1
        if row.get("model_checksum"):
            fig.model_checksums[row["model_checksum"]] += 1
        if status != R.STATUS_OK:
            continue
        flags = list(row.get("flags") or [])
        fig.flags.update(flags)
        evidence = row.get("evidence") or {}
        if evidence:
            fig.evidence_rows += 1
            if not fig.snippets and _has_snippets(evidence):
                fig.snippets = True
        date = row.get("record_date")
        month = month_of(date)
        if month is None:
            fig.undated += 1
        else:
            fig.months.setdefault(month, Counter())
            fig.months[month]["records"] += 1
            fig.months[month].update(f for f in flags if f in TREND_FLAGS)
            if fig.first_date is None or month < fig.first_date:
                fig.first_date = month
            if fig.last_date is None or month > fig.last_date:
                fig.last_date = month
        group = None
        if groups is not None:
            group = groups.get(row.get("id") or "")
            if group is None:
                fig.ungrouped += 1
                group = "(not in the input)"
            counter = fig.groups.setdefault(group, Counter())
            counter["records"] += 1
            counter.update(flags)
        children = bool(row.get("children_present"))
        voice = bool(row.get("child_voice"))
        da = bool(row.get("domestic_abuse"))
        if children:
            fig.children_present += 1
            fig.voice_among_children += voice
            if da:
                fig.da_children += 1
                fig.da_children_voice += voice
                fig.da_children_referral += bool(row.get("referral"))
        fig.injury += bool(row.get("injury"))
        fig.child_injury += bool(row.get("child_injury"))
        risks = list(row.get("risk_factors") or [])
        if row.get("missing_episode"):
            fig.missing += 1
            fig.missing_risk.update(risks)
            fig.missing_with_risk += bool(risks)
            chosen = [c for c in risks if c in hr]
            if chosen:
                fig.missing_listed_total += 1
                entry = (len(risks), -seq, seq, _listed(row, group, MISSING_FIELDS))
                if len(heap) < max_listed:
                    heapq.heappush(heap, entry)
                elif max_listed and entry[:2] > heap[0][:2]:
                    heapq.heapreplace(heap, entry)
        if row.get("lacks_child_voice"):
            fig.lacking_voice_total += 1
            target = da_first if da else others
            if len(target) < max_listed:
                target.append(_listed(row, group, VOICE_FIELDS + ("domestic_abuse",)))
    fig.lacking_voice = (da_first + others)[:max_listed]
    fig.missing_listed = [e[3] for e in sorted(heap, key=lambda e: (-e[0], e[2]))]
    return fig


__all__ = ["DEFAULT_MAX_LISTED", "FLAG_TITLES", "Figures", "Listed", "RISK_TITLES", "Share", "compute", "flag_title",
           "month_of"]
