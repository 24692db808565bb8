"""Turning whatever a record system holds into text the pipeline can read.

Offsets matter: evidence points into the text, so cleaning never changes a
character's position. HTML tags and entities are blanked with spaces of the
same length; control characters become spaces. ``squeeze_spaces`` does move
characters, so it returns the index that maps its offsets back.
"""

from __future__ import annotations

import math
import re
from typing import Any, List, Optional, Tuple

_TAG = re.compile(r"<[^<>]{0,500}>")
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{1,6}|#x[0-9a-fA-F]{1,6});")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE_RUN = re.compile(r"[ \t]{2,}|\t")


def _blank(match: "re.Match[str]") -> str:
    return " " * (match.end() - match.start())


def coerce_text(value: Any) -> Optional[str]:
    """The text of a record, or None when there is none.

    None, NaN and pandas' missing values give None. Bytes are decoded as UTF-8,
    undecodable bytes replaced by U+FFFD (never an error: a batch must go on).
    Any other non-string raises ``TypeError`` naming the type.
    """
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("utf-8", errors="replace")
    if not isinstance(value, str):
        if type(value).__name__ in ("NAType", "NaTType"):
            return None
        raise TypeError(f"a narrative must be str or bytes, not {type(value).__name__}")
    return value


def clean_text(text: str) -> str:
    """Blank HTML markup and control characters without moving any other character."""
    if "<" in text:
        text = _TAG.sub(_blank, text)
    if "&" in text:
        text = _ENTITY.sub(_blank, text)
    return _CONTROL.sub(" ", text)


def is_blank(text: Optional[str]) -> bool:
    return text is None or not text.strip()


def squeeze_spaces(text: str) -> Tuple[str, Optional[List[int]]]:
    """``text`` with runs of spaces and tabs made one space, and where each character came from.

    spaCy makes a token of every extra space, and the rules count tokens, so
    blanked markup ("<b>", "&nbsp;") would otherwise change what they find.
    The index (one entry per character, plus one for the end) maps offsets
    back to ``text``; it is None when nothing was squeezed.
    """
    if "  " not in text and "\t" not in text:
        return text, None
    parts: List[str] = []
    index: List[int] = []
    pos = 0
    for m in _SPACE_RUN.finditer(text):
        parts.append(text[pos : m.start()])
        index.extend(range(pos, m.start()))
        parts.append(" ")
        index.append(m.start())
        pos = m.end()
    parts.append(text[pos:])
    index.extend(range(pos, len(text) + 1))
    return "".join(parts), index
