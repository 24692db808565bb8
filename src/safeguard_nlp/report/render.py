"""The audit report as one self-contained HTML file.

No script, no external style sheet, font or image: the styles are inline and
the charts are inline SVG drawn here, so the file opens the same from a USB
stick on an offline laptop, and prints. A Content-Security-Policy in the page
forbids any fetch or script even if a browser were given one.

Every value that comes from the data (ids, dates, group names, rule ids,
reasons, narrative snippets) goes through :func:`esc` (``html.escape`` with
quotes), so a narrative cannot inject markup or script.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ..batch import rows as R
from ..schema import RISK_FACTORS
from .figures import FLAG_TITLES, RISK_TITLES, TREND_FLAGS, Figures, Listed, Share, flag_title

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

#: Series colours (colour-blind safe: Okabe-Ito).
COLOURS = {
    "records": "#8a8a8a",
    "lacks_child_voice": "#d55e00",
    "domestic_abuse": "#0072b2",
    "missing_episode": "#009e73",
    "child_injury": "#cc79a7",
    "referral": "#e69f00",
    "bar": "#0072b2",
    "risk": "#009e73",
}


def esc(value: Any) -> str:
    """Any value as HTML text: ``&``, ``<``, ``>`` and both quotes escaped."""
    return html.escape("" if value is None else str(value), quote=True)


def _fmt_int(n: int) -> str:
    return f"{n:,}"


STYLE = """
:root { --ink:#1b1b1b; --muted:#5a5a5a; --line:#d6d6d6; --soft:#f4f4f2; --ok:#1a7f37; --no:#8a8a8a; --alert:#b3261e; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1180px; padding: 24px 28px 60px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 8px; border-top: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p.lead { color: var(--muted); margin: 0 0 12px; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 13px; color: var(--muted); margin: 10px 0; }
.meta b { color: var(--ink); font-weight: 600; }
.notice { border-left: 4px solid var(--alert); background: #fdf3f2; padding: 8px 12px; margin: 12px 0; font-size: 14px; }
.note { color: var(--muted); font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; background: #fff; }
.card .big { font-size: 30px; font-weight: 700; line-height: 1.1; }
.card .of { font-size: 14px; color: var(--muted); margin: 2px 0 6px; }
.card .what { font-size: 14px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
code { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 12.5px; background: var(--soft);
       padding: 0 3px; border-radius: 3px; }
.chart { margin: 6px 0 4px; max-width: 100%; height: auto; }
.legend { font-size: 13px; color: var(--muted); }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
ul.ev { list-style: none; margin: 0; padding: 0; }
ul.ev li { margin: 0 0 4px; font-size: 13px; }
ul.ev li.no { color: var(--no); }
.tick { font-weight: 700; color: var(--ok); }
li.no .tick { color: var(--no); }
.snip { display: block; font-family: Georgia, "Times New Roman", serif; font-size: 13.5px; color: var(--ink);
        background: #fffdf4; border-left: 3px solid #e6d98c; padding: 2px 8px; margin: 2px 0 0 18px; }
.snip mark { background: #ffe066; padding: 0 1px; }
.field { font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); margin-top: 4px; }
.tag { display: inline-block; font-size: 12px; border: 1px solid var(--line); border-radius: 10px; padding: 0 7px; margin: 1px 2px 1px 0;
       background: #fff; white-space: nowrap; }
.tag.da { border-color: #0072b2; color: #0072b2; }
.tag.risk { border-color: #009e73; color: #00694d; }
table.list td.id code, table.list td.date, td.month { white-space: nowrap; }
table.list td.evc { width: 58%; }
nav ol { columns: 2; font-size: 14px; margin: 6px 0; }
@media print { body { max-width: none; padding: 0; font-size: 12px; } h2 { break-after: avoid; } tr, .card { break-inside: avoid; } }
"""


# ------------------------------------------------------------------------------------------- charts

def _svg_open(width: int, height: int, label: str) -> str:
    return (f'<svg class="chart" role="img" aria-label="{esc(label)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{esc(label)}</title>')


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def bar_chart(rows: Sequence[Tuple[str, Share]], *, label: str, colour: str = COLOURS["bar"], width: int = 760,
              label_width: int = 300) -> str:
    """Horizontal bars: one row per (label, share), their lengths the rates (scaled to the largest), with 'count (rate)'."""
    row_h, pad = 24, 6
    height = pad * 2 + row_h * max(1, len(rows))
    bar_area = width - label_width - 130
    top = max((s.rate or 0.0 for _, s in rows), default=0.0) or 1.0
    out = [_svg_open(width, height, label)]
    for n, (name, share) in enumerate(rows):
        y = pad + n * row_h
        w = round(bar_area * (share.rate or 0.0) / top, 1)
        out.append(f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" font-size="13" fill="#1b1b1b">'
                   f'{esc(_clip(name, 44))}</text>')
        out.append(f'<rect x="{label_width}" y="{y + 4}" width="{max(w, 0.5)}" height="{row_h - 8}" rx="2" fill="{colour}"/>')
        out.append(f'<text x="{label_width + w + 6}" y="{y + 16}" font-size="12.5" fill="#333">'
                   f'{esc(_fmt_int(share.count))} ({esc(share.percent())})</text>')
    out.append("</svg>")
    return "".join(out)


def _nice_step(peak: int, ticks: int = 4) -> int:
    """A round tick step (a power of ten times 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5 or 8; at least 1) so that ``ticks``
    steps cover ``peak``."""
    raw = max(peak, 1) / ticks
    magnitude = 1
    while magnitude * 10 <= raw:
        magnitude *= 10
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10):
        step = factor * magnitude
        if step >= raw and float(step).is_integer():
            return int(step)
    return int(10 * magnitude)


def line_chart(labels: Sequence[str], series: Sequence[Tuple[str, str, Sequence[int]]], *, label: str,
               width: int = 980, height: int = 300) -> str:
    """Lines over ordered categories (months): series are (name, colour, values)."""
    left, right, top_pad, bottom = 52, 34, 14, 46
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    peak = max((v for _, _, vals in series for v in vals), default=0)
    tick = _nice_step(peak)
    top = 4 * tick
    n = len(labels)
    step = plot_w / max(1, n - 1) if n > 1 else 0

    def x(i: int) -> float:
        return round(left + (i * step if n > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(top_pad + plot_h - plot_h * v / top, 1)

    out = [_svg_open(width, height, label)]
    for k in range(5):
        v = tick * k
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v)}" y2="{y(v)}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 6}" y="{y(v) + 4}" text-anchor="end" font-size="11" fill="#5a5a5a">'
                   f'{esc(_fmt_int(round(v)))}</text>')
    every = max(1, (n + 17) // 18)
    for i, name in enumerate(labels):
        if i % every == 0 or i == n - 1:
            out.append(f'<text x="{x(i)}" y="{height - bottom + 18}" text-anchor="middle" font-size="11" '
                       f'fill="#5a5a5a">{esc(name)}</text>')
    for name, colour, values in series:
        pts = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        if n > 1:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.2" points="{pts}"/>')
        for i, v in enumerate(values):
            out.append(f'<circle cx="{x(i)}" cy="{y(v)}" r="2.8" fill="{colour}"><title>{esc(name)}, '
                       f'{esc(labels[i])}: {esc(_fmt_int(v))}</title></circle>')
    out.append("</svg>")
    return "".join(out)


def _legend(series: Iterable[Tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i style="background:{colour}"></i>{esc(name)}</span>' for name, colour in series) + "</div>"


# ------------------------------------------------------------------------------------------- evidence

def _snippet(item: Dict[str, Any]) -> str:
    """The narrative snippet with the span marked (only when the scan kept snippets)."""
    snippet, text = item.get("snippet"), item.get("text")
    if not isinstance(snippet, str):
        return f'<span class="snip">{esc(text)}</span>' if isinstance(text, str) else ""
    start = item.get("start")
    left = min(start, R.SNIPPET_MARGIN) if isinstance(start, int) else None
    if isinstance(text, str) and left is not None and snippet[left: left + len(text)] == text:
        before, span, after = snippet[:left], text, snippet[left + len(text):]
    elif isinstance(text, str) and text and text in snippet:
        at = snippet.index(text)
        before, span, after = snippet[:at], text, snippet[at + len(text):]
    else:
        return f'<span class="snip">\u2026{esc(snippet)}\u2026</span>'
    lead = "\u2026" if not isinstance(start, int) or start > R.SNIPPET_MARGIN else ""
    return f'<span class="snip">{lead}{esc(before)}<mark>{esc(span)}</mark>{esc(after)}\u2026</span>'


def _where(item: Dict[str, Any]) -> str:
    start, end = item.get("start"), item.get("end")
    if start is None:
        return ""
    return f" chars {esc(start)}\u2013{esc(end)}"


def evidence_item(item: Dict[str, Any]) -> str:
    """One evidence span as a list item: accepted or set aside, rule, offsets, context, cues, snippet."""
    accepted = bool(item.get("accepted"))
    parts = [f'<span class="tick">{"&#10003;" if accepted else "&#10007;"}</span> ']
    label = item.get("label") or ""
    category = item.get("category")
    parts.append(f"<b>{esc(label)}</b>")
    if category and category != label.lower():
        parts.append(f" ({esc(category)})")
    if "value" in item:
        parts.append(f" = {esc(item.get('value'))}")
    parts.append(f' <code>{esc(item.get("rule"))}</code>{_where(item)}')
    ctx = item.get("context") or {}
    marks = [k for k in ("negated", "hypothetical", "historical") if ctx.get(k)]
    if ctx.get("subject") and ctx.get("subject") != "unknown":
        marks.append(f"about {'a child' if ctx['subject'] == 'child' else 'an adult' if ctx['subject'] == 'adult' else ctx['subject']}")
    if marks:
        parts.append(" \u00b7 " + esc(", ".join(marks)))
    reason = item.get("reason")
    if reason and reason not in marks:
        parts.append(f" \u00b7 <i>{esc(reason)}</i>")
    cues = item.get("cues") or []
    if cues:
        shown = []
        for cue in cues:
            words = f" \u201c{esc(cue['text'])}\u201d" if isinstance(cue.get("text"), str) else ""
            shown.append(f"{esc(cue.get('type'))} <code>{esc(cue.get('rule'))}</code>{_where(cue)}{words}")
        parts.append(" \u00b7 cues: " + "; ".join(shown))
    parts.append(_snippet(item))
    return f'<li class="{"ok" if accepted else "no"}">{"".join(parts)}</li>'


def evidence_block(evidence: Dict[str, List[Dict[str, Any]]], fields: Sequence[str]) -> str:
    out = []
    for field in fields:
        items = evidence.get(field) or []
        if not items:
            continue
        out.append(f'<div class="field">{esc(flag_title(field) if field in FLAG_TITLES else field.replace("_", " "))}</div>')
        out.append('<ul class="ev">' + "".join(evidence_item(i) for i in items if isinstance(i, dict)) + "</ul>")
    return "".join(out) or '<span class="note">no evidence kept (scan run with --evidence none)</span>'


def _tags(flags: Sequence[str], wanted: Sequence[str]) -> str:
    out = []
    for f in wanted:
        if f in flags:
            cls = "tag da" if f == "domestic_abuse" else "tag"
            out.append(f'<span class="{cls}">{esc(flag_title(f))}</span>')
    return "".join(out)


def _risk_tags(risks: Sequence[str]) -> str:
    return "".join(f'<span class="tag risk">{esc(RISK_TITLES.get(r, r))}</span>' for r in risks)


def _listed_table(records: Sequence[Listed], *, grouped: bool, kind: str) -> str:
    head = ["Record id", "Date"] + (["Group"] if grouped else []) + (
        ["Flags"] if kind == "voice" else ["Risk factors", "Ages"]) + ["Evidence"]
    out = ['<table class="list"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for rec in records:
        cells = [f'<td class="id"><code>{esc(rec.id)}</code></td>', f'<td class="date">{esc(rec.record_date or "")}</td>']
        if grouped:
            cells.append(f"<td>{esc(rec.group or '')}</td>")
        if kind == "voice":
            cells.append("<td>" + _tags(rec.flags, ("domestic_abuse", "injury", "child_injury", "missing_episode",
                                                    "referral")) + "</td>")
            fields: Sequence[str] = ("children_present", "child_voice")
        else:
            cells.append("<td>" + _risk_tags(rec.risk_factors) + "</td>")
            cells.append(f'<td class="num">{esc(", ".join(str(a) for a in rec.child_ages))}</td>')
            fields = ("missing_episode", "risk_factors")
        cells.append('<td class="evc">' + evidence_block(rec.evidence, fields) + "</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


# ------------------------------------------------------------------------------------------- sections

def _card(title: str, share: Share, base: str) -> str:
    return (f'<div class="card"><div class="big">{esc(share.percent())}</div>'
            f'<div class="of">{esc(_fmt_int(share.count))} of {esc(_fmt_int(share.base))} {esc(base)}</div>'
            f'<div class="what">{esc(title)}</div></div>')


def _rate_table(rows: Sequence[Tuple[str, Share]], first: str, base: str) -> str:
    out = [f'<table><thead><tr><th>{esc(first)}</th><th class="num">Records</th>'
           f'<th class="num">% of {esc(base)}</th></tr></thead><tbody>']
    for name, share in rows:
        out.append(f'<tr><td>{esc(name)}</td><td class="num">{esc(_fmt_int(share.count))}</td>'
                   f'<td class="num">{esc(share.percent())}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _breakdown_table(rows: Sequence[Tuple[str, Dict[str, int]]], first: str) -> str:
    head = [first, "Records"] + [flag_title(f) for f in TREND_FLAGS]
    num = ' class="num"'
    out = ["<table><thead><tr>" + "".join(
        f"<th{num if i else ''}>{esc(h)}</th>" for i, h in enumerate(head)) + "</tr></thead><tbody>"]
    for name, counts in rows:
        n = counts.get("records", 0)
        cells = [f'<td class="month">{esc(name)}</td>', f'<td class="num">{esc(_fmt_int(n))}</td>']
        for f in TREND_FLAGS:
            s = Share(counts.get(f, 0), n)
            cells.append(f'<td class="num">{esc(_fmt_int(s.count))} ({esc(s.percent())})</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render(fig: Figures, *, source: str, title: str = "Safeguarding audit report",
           generated: Optional[datetime] = None) -> str:
    """The whole report as one HTML document (a str)."""
    generated = generated or datetime.now(timezone.utc)
    n = fig.analysed
    grouped = fig.groups is not None
    body: List[str] = []

    body.append(f"<h1>{esc(title)}</h1>")
    body.append('<p class="lead">What the safeguarding scan found in these records, with the words and rules behind '
                "each flag. Figures are counts of records; every percentage gives its base.</p>")
    versions = ", ".join(sorted(fig.pipeline_versions)) or "unknown"
    checksums = ", ".join(c[:12] for c in sorted(fig.model_checksums)) or "unknown"
    period = (f"{fig.first_date} to {fig.last_date}" if fig.first_date else "no record dates in the scan output")
    meta = [
        ("Scan output", source),
        ("Report made", generated.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")),
        ("Records read", f"{_fmt_int(fig.records)}: {_fmt_int(n)} analysed, "
                         f"{_fmt_int(fig.status.get(R.STATUS_EMPTY, 0))} with no narrative, "
                         f"{_fmt_int(fig.status.get(R.STATUS_QUARANTINED, 0))} quarantined (could not be processed)"),
        ("Period", period),
        ("Pipeline", f"version {versions}; model checksum {checksums}"),
        ("Narrative snippets", "included (the scan was run with --with-snippets)" if fig.snippets
         else "not included: evidence is shown as character offsets and rule ids"),
    ]
    body.append('<div class="meta">' + "".join(f"<b>{esc(k)}</b><span>{esc(v)}</span>" for k, v in meta) + "</div>")
    if len(fig.model_checksums) > 1:
        body.append('<div class="notice">These rows were produced by more than one version of the model: figures mix '
                    "their results.</div>")
    body.append('<div class="notice"><b>Personal data.</b> This report lists record ids' +
                (" and quotes words from the narratives" if fig.snippets else "") +
                ". Keep it inside the secure environment the records come from.</div>")
    body.append('<nav><ol><li><a href="#headlines">Headline figures</a></li><li><a href="#flags">Flag rates</a></li>'
                '<li><a href="#months">By month</a></li>'
                + ('<li><a href="#groups">By group</a></li>' if grouped else "")
                + '<li><a href="#risk">Missing episodes by risk factor</a></li>'
                  '<li><a href="#voice">Records lacking the child\'s voice</a></li>'
                  '<li><a href="#missing">Missing episodes with risk factors</a></li>'
                  '<li><a href="#reading">How to read the evidence</a></li></ol></nav>')

    # headlines
    body.append('<h2 id="headlines">Headline figures</h2>')
    body.append('<div class="cards">' + "".join(_card(t, s, b) for t, s, b in fig.headlines()) + "</div>")
    body.append(f'<p class="note">Base: the {esc(_fmt_int(n))} records analysed (status ok). A record can carry any '
                "number of flags.</p>")

    # flag rates
    body.append('<h2 id="flags">Flag rates</h2>')
    rates = [(flag_title(f), s) for f, s in fig.flag_rates()]
    body.append(bar_chart(rates, label=f"Records with each flag, of {n} analysed"))
    body.append(_rate_table(rates, "Flag", f"{_fmt_int(n)} analysed"))

    # months
    body.append('<h2 id="months">By month</h2>')
    months = fig.month_rows()
    if months:
        labels = [m for m, _ in months]
        series = [("Records analysed", COLOURS["records"], [c["records"] for _, c in months])] + [
            (flag_title(f), COLOURS[f], [c.get(f, 0) for _, c in months]) for f in TREND_FLAGS]
        body.append(line_chart(labels, series, label="Records and flags by month"))
        body.append(_legend((name, colour) for name, colour, _ in series))
        body.append(_breakdown_table(months, "Month"))
        if fig.undated:
            body.append(f'<p class="note">{esc(_fmt_int(fig.undated))} analysed records have no readable date and are '
                        "not in this breakdown.</p>")
    else:
        body.append('<p class="note">The scan output has no record dates (scan with <code>--date-col</code> to '
                    "keep them).</p>")

    # groups
    if grouped:
        body.append('<h2 id="groups">By group</h2>')
        body.append('<p class="note">Groups come from the scan\'s input, joined on the record id (the scan output '
                    "holds no other input column).</p>")
        groups = fig.group_rows()
        body.append(bar_chart([(g, Share(c.get("lacks_child_voice", 0), c.get("children_present", 0)))
                               for g, c in groups],
                              label="Records with children present that do not record the child's voice, by group",
                              colour=COLOURS["lacks_child_voice"]))
        body.append('<p class="note">Bars: records with children present that do not record the child\'s voice; '
                    "the percentage is of the group's records with children present.</p>")
        body.append(_breakdown_table(groups, "Group"))
        if fig.ungrouped:
            body.append(f'<p class="note">{esc(_fmt_int(fig.ungrouped))} records were not found in the input.</p>')

    # risk factors
    body.append('<h2 id="risk">Missing-child episodes by risk factor</h2>')
    risk_rows = [(RISK_TITLES[c], s) for c, s in fig.risk_rates()]
    body.append(bar_chart(risk_rows, label=f"Risk factors among {fig.missing} missing-child episodes",
                          colour=COLOURS["risk"]))
    body.append(_rate_table(risk_rows, "Risk factor", f"{_fmt_int(fig.missing)} missing-child episodes"))

    # lists
    body.append('<h2 id="voice">Records lacking the child\'s voice</h2>')
    body.append(f"<p>{esc(_fmt_int(fig.lacking_voice_total))} records say children were present but record nothing of "
                "what a child said, felt or wished (or, for a baby, how they presented). Domestic-abuse incidents "
                "come first. For each: why a child was taken to be present, and any words about a child's voice "
                "that were weighed and set aside.</p>")
    body.append(_shown_note(len(fig.lacking_voice), fig.lacking_voice_total, "lacks_child_voice = true"))
    if fig.lacking_voice:
        body.append(_listed_table(fig.lacking_voice, grouped=grouped, kind="voice"))

    body.append('<h2 id="missing">Missing-child episodes with risk factors</h2>')
    chosen = "any risk factor" if tuple(fig.high_risk) == tuple(RISK_FACTORS) else \
        "one of: " + ", ".join(RISK_TITLES[c].lower() for c in fig.high_risk)
    body.append(f"<p>{esc(_fmt_int(fig.missing_listed_total))} missing-child episodes carry {esc(chosen)}. Those with "
                "the most risk factors come first.</p>")
    body.append(_shown_note(len(fig.missing_listed), fig.missing_listed_total, "missing_episode = true"))
    if fig.missing_listed:
        body.append(_listed_table(fig.missing_listed, grouped=grouped, kind="missing"))

    body.append('<h2 id="reading">How to read the evidence</h2>')
    body.append(
        "<ul><li><span class=\"tick\">&#10003;</span> marks words that raised the flag; "
        "<span class=\"note\">&#10007;</span> marks words that were weighed and set aside, with the reason "
        "(negated, hypothetical, historical, about an adult...).</li>"
        "<li><b>chars 126\u2013134</b> are character positions in the narrative: open the record in the source "
        "system to read the words.</li>"
        "<li>The <code>rule</code> id names the entry of the library's rules "
        "(<code>src/safeguard_nlp/resources/*.jsonl</code>) that matched; <b>cues</b> are the words that set the "
        "context (a negation such as \u201cno\u201d, a hypothetical such as \u201cif\u201d).</li>"
        "<li>The signals are defined in SIGNALS.md. They are found by rules and can be wrong: a flag is a reason "
        "to read a record, not a finding about it.</li></ul>")

    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{esc(CSP)}\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"referrer\" content=\"no-referrer\">"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _shown_note(shown: int, total: int, where: str) -> str:
    if shown >= total:
        return ""
    return (f'<p class="note">The first {esc(_fmt_int(shown))} of {esc(_fmt_int(total))} are listed here; the full '
            f"list is the scan output filtered on <code>{esc(where)}</code>.</p>")


__all__ = ["CSP", "bar_chart", "esc", "evidence_block", "evidence_item", "line_chart", "render"]
