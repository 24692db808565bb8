"""The Python API: one text, or a stream of them, to signals and evidence."""

from __future__ import annotations

import contextlib
import itertools
import threading
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc

from . import pipeline
from .schema import BOOL_SIGNALS, SIGNAL_FIELDS, empty_signals, normalise_signals
from .text import clean_text, coerce_text, is_blank, squeeze_spaces

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
            if field == "lacks_child_voice":
                continue
            for item in items:
                merged["evidence"][field].append(_moved(item, lambda i: i + offset))
    merged["signals"] = normalise_signals(raw)
    # The derived flag is decided once, on the whole text: its evidence is that of
    # a piece whose own verdict (and reason) is the merged one.
    final = merged["signals"]
    deciding = "lacks_child_voice" if final["lacks_child_voice"] else "child_voice" if final["child_voice"] else None
    for _, res in results:
        if deciding is None or res["signals"][deciding]:
            merged["evidence"]["lacks_child_voice"] = [dict(i) for i in res["evidence"]["lacks_child_voice"]]
            break
    return merged


def _moved(item: Dict[str, Any], shift: Callable[[int], int], text: Optional[str] = None) -> Dict[str, Any]:
    """A copy of an evidence item (and of its cues) with offsets mapped by ``shift``.

    Cue dicts are shared between items of one span, so they are copied, never
    shifted in place. With ``text``, each ``text`` is re-read from the new offsets.
    """
    item = dict(item)
    if "start" in item and "end" in item:
        start, end = item["start"], item["end"]
        item["start"], item["end"] = shift(start), (shift(end - 1) + 1 if end > start else shift(start))
        if text is not None and "text" in item:
            item["text"] = text[item["start"] : item["end"]]
    if "cues" in item:
        item["cues"] = [_moved(cue, shift, text) for cue in item["cues"]]
    for key in ("subject_at", "act"):
        if item.get(key):
            item[key] = _moved(item[key], shift, text)
    return item


def _in_original(result: Dict[str, Any], back: Optional[Tuple[str, Optional[List[int]]]]) -> Dict[str, Any]:
    """``result`` with evidence offsets (and quoted text) in the caller's original string.

    ``back`` is (original, index of the squeezed text), or None when the text
    the pipeline read is the original, unchanged.
    """
    if back is None:
        return result
    original, index = back
    shift: Callable[[int], int] = index.__getitem__ if index is not None else (lambda i: i)
    evidence = {field: [_moved(item, shift, original) for item in items] for field, items in result["evidence"].items()}
    return {**result, "evidence": evidence}


def result_of(doc: Doc) -> Dict[str, Any]:
    return {"signals": doc._.signals, "evidence": doc._.evidence}


#: Texts a WarmPipeline given to annotate() processes between checks of its budget.
WARM_CHUNK = 1_000


def annotate(texts: Iterable[Any], nlp: Optional[Any] = None, *, batch_size: int = 256,
             memory_zone: bool = True) -> Iterator[Dict[str, Any]]:
    """Signals and evidence for each text, in order, one dict per input.

    Missing or blank texts give all-false signals with ``status`` "empty";
    texts longer than ``nlp.max_length`` are processed in pieces whose
    evidence is merged. HTML markup is blanked and runs of spaces read as
    one; evidence offsets and quoted text always refer to the string given.

    Memory: the work runs in ``nlp.memory_zone()``, which frees each call's
    strings, but spaCy's lexeme table keeps a tombstone for every distinct
    word a zone saw (about 10 MB per 100,000 records of always-new text). For
    an unbounded stream pass a :class:`~safeguard_nlp.batch.WarmPipeline` as
    ``nlp``: it runs without zones and reloads itself from disk when its
    vocabulary outgrows a budget, which holds memory level (what
    ``safeguard-nlp scan`` does). ``memory_zone=False`` with a plain pipeline
    keeps new words cached, for a caller that bounds the vocabulary itself.
    """
    from .batch.process import WarmPipeline

    if isinstance(nlp, WarmPipeline):
        yield from _annotate_warm(texts, nlp, batch_size)
        return
    nlp = nlp or default_nlp()
    limit = nlp.max_length

    def prepared() -> Iterator[Tuple[str, Any]]:
        for value in texts:
            text = coerce_text(value)
            if is_blank(text):
                yield "", ("empty", None)
                continue
            squeezed, index = squeeze_spaces(clean_text(text))
            back = None if squeezed == text else (text, index)
            if len(squeezed) <= limit:
                yield squeezed, ("ok", back)
            else:
                pieces = _pieces(squeezed, limit)
                for n, (offset, piece) in enumerate(pieces):
                    yield piece, ("piece", (offset, n == len(pieces) - 1, back))

    pending: List[Tuple[int, Dict[str, Any]]] = []
    with nlp.memory_zone() if memory_zone else contextlib.nullcontext():
        for doc, (kind, info) in nlp.pipe(prepared(), as_tuples=True, batch_size=batch_size):
            if kind == "empty":
                yield {**_empty_result(), "status": "empty"}
            elif kind == "ok":
                yield {**_in_original(result_of(doc), info), "status": "ok"}
            else:
                offset, last, back = info
                pending.append((offset, result_of(doc)))
                if last:
                    yield {**_in_original(_merge(pending), back), "status": "ok"}
                    pending = []


def _annotate_warm(texts: Iterable[Any], warm: Any, batch_size: int) -> Iterator[Dict[str, Any]]:
    """annotate() through a WarmPipeline: a chunk at a time, the budget checked between chunks."""
    stream = iter(texts)
    while chunk := list(itertools.islice(stream, WARM_CHUNK)):
        yield from annotate(chunk, warm.get(), batch_size=batch_size, memory_zone=False)


def explain(text: Any, nlp: Optional[Language] = None) -> Dict[str, Any]:
    """Signals and evidence for one text: ``{"signals", "evidence", "status"}``."""
    return next(annotate([text], nlp))


def analyse(text: Any, nlp: Optional[Language] = None) -> Dict[str, Any]:
    """The SIGNALS.md dict for one text (all false for None, NaN or blank)."""
    return explain(text, nlp)["signals"]
