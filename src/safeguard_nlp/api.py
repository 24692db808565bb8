"""The Python API: one text, or a stream of them, to signals and evidence."""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc

from . import pipeline
from .schema import BOOL_SIGNALS, SIGNAL_FIELDS, empty_signals, normalise_signals
from .text import clean_text, coerce_text, is_blank

_default_nlp: Optional[Language] = None
_lock = threading.Lock()


def default_nlp() -> Language:
    """The saved pipeline, loaded once per process (never per text)."""
    global _default_nlp
    if _default_nlp is None:
        with _lock:
            if _default_nlp is None:
                _default_nlp = pipeline.load()
    return _default_nlp


def _empty_result() -> Dict[str, Any]:
    return {"signals": empty_signals(), "evidence": {f: [] for f in SIGNAL_FIELDS}}


def _pieces(text: str, limit: int) -> List[Tuple[int, str]]:
    """Split ``text`` into pieces shorter than ``limit``, at a line or sentence end where possible."""
    out: List[Tuple[int, str]] = []
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = max(window.rfind("\n"), window.rfind(". "), window.rfind("; "))
        if cut < limit // 2:
            cut = window.rfind(" ")
        if cut < limit // 2:
            cut = limit - 1
        out.append((start, text[start : start + cut + 1]))
        start += cut + 1
    out.append((start, text[start:]))
    return out


def _merge(results: List[Tuple[int, Dict[str, Any]]]) -> Dict[str, Any]:
    """Combine the results of a long text's pieces, shifting evidence offsets back."""
    merged = _empty_result()
    raw: Dict[str, Any] = {name: False for name in BOOL_SIGNALS}
    raw["risk_factors"], raw["child_ages"] = [], []
    for offset, res in results:
        for name in BOOL_SIGNALS:
            raw[name] = raw[name] or res["signals"][name]
        raw["risk_factors"] += res["signals"]["risk_factors"]
        raw["child_ages"] += res["signals"]["child_ages"]
        for field, items in res["evidence"].items():
            for item in items:
                item = dict(item)
                for key in ("start", "end"):
                    if key in item:
                        item[key] += offset
                for cue in item.get("cues", []):
                    cue["start"] += offset
                    cue["end"] += offset
                merged["evidence"][field].append(item)
    merged["signals"] = normalise_signals(raw)
    return merged


def result_of(doc: Doc) -> Dict[str, Any]:
    return {"signals": doc._.signals, "evidence": doc._.evidence}


def annotate(texts: Iterable[Any], nlp: Optional[Language] = None, *, batch_size: int = 256) -> Iterator[Dict[str, Any]]:
    """Signals and evidence for each text, in order, one dict per input.

    Missing or blank texts give all-false signals with ``status`` "empty";
    texts longer than ``nlp.max_length`` are processed in pieces whose
    evidence is merged. Memory stays flat over any length of stream.
    """
    nlp = nlp or default_nlp()
    limit = nlp.max_length

    def prepared() -> Iterator[Tuple[str, Any]]:
        for value in texts:
            text = coerce_text(value)
            if is_blank(text):
                yield "", ("empty", None)
                continue
            text = clean_text(text)
            if len(text) <= limit:
                yield text, ("ok", None)
            else:
                pieces = _pieces(text, limit)
                for n, (offset, piece) in enumerate(pieces):
                    yield piece, ("piece", (offset, n == len(pieces) - 1))

    pending: List[Tuple[int, Dict[str, Any]]] = []
    with nlp.memory_zone():
        for doc, (kind, info) in nlp.pipe(prepared(), as_tuples=True, batch_size=batch_size):
            if kind == "empty":
                yield {**_empty_result(), "status": "empty"}
            elif kind == "ok":
                yield {**result_of(doc), "status": "ok"}
            else:
                offset, last = info
                pending.append((offset, result_of(doc)))
                if last:
                    yield {**_merge(pending), "status": "ok"}
                    pending = []


def explain(text: Any, nlp: Optional[Language] = None) -> Dict[str, Any]:
    """Signals and evidence for one text: ``{"signals", "evidence", "status"}``."""
    return next(annotate([text], nlp))


def analyse(text: Any, nlp: Optional[Language] = None) -> Dict[str, Any]:
    """The SIGNALS.md dict for one text (all false for None, NaN or blank)."""
    return explain(text, nlp)["signals"]
