"""The audit report: a scan's output as one self-contained HTML file.

``safeguard-nlp report RESULTS -o report.html`` (or :func:`write_report`)
reads what ``safeguard-nlp scan`` wrote (CSV, JSON Lines, Parquet, or a
database table), computes the headline figures with their sample sizes, the
flag rates by month (and by group, when the scan's input is given to join
on the record id), and lists the records lacking the child's voice and the
missing-child episodes with risk factors, each with its evidence.

* :mod:`.results` reads scan output in any of its formats, row by row;
* :mod:`.figures` computes every figure in one pass;
* :mod:`.render` writes the HTML, charts as inline SVG, every value escaped.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Optional, Sequence, Union

from .figures import DEFAULT_MAX_LISTED, Figures, compute
from .render import render
from .results import describe_source, iter_results, read_frame, read_groups


def build_report(results: str, *, table: Optional[str] = None, fmt: Optional[str] = None,
                 records: Optional[str] = None, records_table: Optional[str] = None, group_col: str = "source",
                 id_col: str = "id", high_risk: Optional[Sequence[str]] = None,
                 max_listed: int = DEFAULT_MAX_LISTED, title: str = "Safeguarding audit report",
                 generated: Optional[datetime] = None) -> str:
    """The report of a scan output (a file or a database URL with ``table``) as an HTML string.

    ``records`` (the scan's input: a file or a database URL with
    ``records_table``) adds a breakdown by its ``group_col``, joined on the id.
    """
    groups = read_groups(records, group_col=group_col, id_col=id_col, table=records_table) if records else None
    fig = compute(iter_results(results, table=table, fmt=fmt), groups=groups, high_risk=high_risk,
                  max_listed=max_listed)
    return render(fig, source=describe_source(results, table), title=title, generated=generated)


def write_report(results: str, output: Union[str, Path], **kwargs) -> Path:
    """Write :func:`build_report` to ``output`` and return its path.

    The file is replaced atomically (a reader never sees half of it) and is
    readable by its owner only, since it lists record ids and may quote
    narratives.
    """
    text = build_report(results, **kwargs)
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


__all__ = ["DEFAULT_MAX_LISTED", "Figures", "build_report", "compute", "iter_results", "read_frame", "read_groups",
           "render", "write_report"]
