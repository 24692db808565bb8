"""A token ``Matcher`` that is only run on records holding the words its patterns need.

spaCy's ``Matcher`` reads every token of a record as a Python ``Token`` object,
whatever its patterns are: about 1.3 µs a token, over 100 µs for an 80-word
narrative, however rarely the patterns match. Most of a lexicon's token
patterns name words they cannot match without ("before ... left", "not
missing."), so a record lacking one of them is skipped, with the same matches
as running the ``Matcher`` (a test compares the two).
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


class AnchoredMatcher:
    """A ``Matcher`` run only on a record that has, for some pattern, one of the words of each token it needs."""

    def __init__(self, vocab: Vocab, validate: bool = True):
        self.vocab = vocab
        self.matcher = Matcher(vocab, validate=validate)
        #: Per pattern, the hashes of the lower-case words each required token may be; None: the pattern needs no word.
        self._needs: List[Optional[List[FrozenSet[int]]]] = []

    def __len__(self) -> int:
        return len(self.matcher)

    def add(self, key: str, patterns: List[List[Dict[str, Any]]], **kwargs: Any) -> None:
        self.matcher.add(key, patterns, **kwargs)
        strings = self.vocab.strings
        for pattern in patterns:
            needs = [frozenset(strings.add(w) for w in words) for words in required_words(pattern)]
            self._needs.append(needs or None)

    def could_match(self, doc: Doc) -> bool:
        if not self._needs:
            return False
        if any(needs is None for needs in self._needs):
            return True
        lowers = set(doc.to_array(LOWER).tolist())
        return any(all(not lowers.isdisjoint(words) for words in needs) for needs in self._needs)

    def __call__(self, doc: Doc) -> List[Tuple[int, int, int]]:
        return self.matcher(doc) if self.could_match(doc) else []
