"""A token ``Matcher`` that is only run where its patterns' words are.

spaCy's ``Matcher`` reads every token of a record as a Python ``Token`` object,
whatever its patterns are: about 1.3 µs a token, over 100 µs for an 80-word
narrative, however rarely the patterns match. Most of a lexicon's token
patterns name words they cannot match without ("before ... left", "not
missing."), so a record lacking one of them is skipped, and on a record that
has them the ``Matcher`` reads only the stretches around those words, as long
as the longest pattern each side. The matches are the same as running the
``Matcher`` over the whole record (a test compares the two).
"""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from spacy.attrs import LOWER
from spacy.matcher import Matcher
from spacy.tokens import Doc
from spacy.vocab import Vocab

#: Token keys whose values give the token's lower-case form.
_WORD_KEYS = ("LOWER", "ORTH", "TEXT")
#: Quantifiers that still make a token required (no quantifier, or "one or more").
_REQUIRED_OPS = (None, "1", "+")
#: Quantifiers under which a pattern token matches at most one token ("!" still takes one: any but the one named).
_BOUNDED_OPS = (None, "1", "?", "!")


def required_words(pattern: List[Dict[str, Any]]) -> List[FrozenSet[str]]:
    """For each token the pattern cannot match without, the lower-case words it may be.

    ``[{"LOWER": "before"}, {"IS_ALPHA": true, "OP": "?"}, {"LOWER": {"IN": ["left", "went"]}}]``
    needs ``{"before"}`` and ``{"left", "went"}``; a token given only by other
    attributes (``LIKE_NUM``, ``IS_ALPHA``) or made optional says nothing.
    """
    out = []
    for token in pattern:
        if token.get("OP") not in _REQUIRED_OPS:
            continue
        words: Optional[set] = None
        for key in _WORD_KEYS:
            value = token.get(key)
            if isinstance(value, str):
                found = {value.lower()}
            elif isinstance(value, dict) and set(value) == {"IN"}:
                found = {str(v).lower() for v in value["IN"]}
            else:
                continue
            words = found if words is None else words & found
        if words is not None:
            out.append(frozenset(words))
    return out


def pattern_length(pattern: List[Dict[str, Any]]) -> Optional[int]:
    """The most tokens the pattern can match, or None when a quantifier lets it grow."""
    if any(token.get("OP") not in _BOUNDED_OPS for token in pattern):
        return None
    return len(pattern)


class AnchoredMatcher:
    """A ``Matcher`` run only on a record that has, for some pattern, one of the words of each token it needs."""

    def __init__(self, vocab: Vocab, validate: bool = True):
        self.vocab = vocab
        self.matcher = Matcher(vocab, validate=validate)
        #: Per pattern, the hashes of the lower-case words each required token may be; None: the pattern needs no word.
        self._needs: List[Optional[List[FrozenSet[int]]]] = []
        #: The longest any pattern can match; None when one can grow without bound.
        self._longest: Optional[int] = 0

    def __len__(self) -> int:
        return len(self.matcher)

    def add(self, key: str, patterns: List[List[Dict[str, Any]]], **kwargs: Any) -> None:
        self.matcher.add(key, patterns, **kwargs)
        strings = self.vocab.strings
        for pattern in patterns:
            needs = [frozenset(strings.add(w) for w in words) for words in required_words(pattern)]
            self._needs.append(needs or None)
            length = pattern_length(pattern)
            self._longest = None if length is None or self._longest is None else max(self._longest, length)

    def could_match(self, doc: Doc) -> bool:
        return self._anchors(doc) != []

    def _anchors(self, doc: Doc) -> Optional[List[int]]:
        """Token positions every match holds one of ([] when nothing can match), or None when any position may."""
        if not self._needs:
            return []
        if any(needs is None for needs in self._needs):
            return None
        lowers = doc.to_array(LOWER).tolist()
        present = set(lowers)
        # Each match holds a token of its pattern's first required word set.
        firsts = set().union(*(needs[0] for needs in self._needs if all(not present.isdisjoint(words) for words in needs)))
        return [i for i, lower in enumerate(lowers) if lower in firsts]

    def __call__(self, doc: Doc) -> List[Tuple[int, int, int]]:
        anchors = self._anchors(doc)
        if anchors == []:
            return []
        if anchors is None or self._longest is None:
            return self.matcher(doc)
        out: List[Tuple[int, int, int]] = []
        for start, end in _windows(anchors, self._longest, len(doc)):
            out.extend((key, start + s, start + e) for key, s, e in self.matcher(doc[start:end]))
        return out


def _windows(anchors: List[int], reach: int, n: int) -> List[Tuple[int, int]]:
    """The stretches within ``reach`` tokens of an anchor (its own token included), overlapping ones merged."""
    out: List[Tuple[int, int]] = []
    for a in anchors:
        start, end = max(0, a - reach + 1), min(n, a + reach)
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out
