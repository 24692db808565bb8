"""The span list the components share, made into Python objects once per record.

Reading a ``SpanGroup`` makes a new ``Span`` object for every span, each time
(about 1.5 µs a span); five components reading the group of each record would
make them five times. The component that writes the group keeps the list it
wrote, for the last record only, and the others take that list back while the
group is still the one written (the same object, the same length). A record's
components run one after another in ``nlp(text)`` and ``nlp.pipe`` alike, so the
last record is the one being read; any other gets its group read afresh.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from spacy.tokens import Doc, Span, SpanGroup

#: (record, spans key, group as written, its length, the spans written), for the last record written.
_last: Optional[Tuple[Doc, str, SpanGroup, int, List[Span]]] = None


def read_spans(doc: Doc, key: str) -> List[Span]:
    """``list(doc.spans[key])``, without making the Span objects again when they are the ones just written."""
    group = doc.spans[key]
    held = _last
    if held is not None and held[0] is doc and held[1] == key and held[2] is group and held[3] == len(group):
        return list(held[4])
    return list(group)


def write_spans(doc: Doc, key: str, spans: List[Span]) -> None:
    """``doc.spans[key] = spans``, keeping the list for the components after."""
    global _last
    doc.spans[key] = spans
    _last = (doc, key, doc.spans[key], len(spans), list(spans))
