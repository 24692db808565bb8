"""Features of a record for the trained signal models: its words, its characters, and what the rules found.

Three blocks, side by side in one sparse row:

* word 1-2 grams and ``char_wb`` 3-5 grams of the lower-cased text, hashed
  as scikit-learn's ``HashingVectorizer`` does (no vocabulary to save, nothing
  learnt), each block scaled to unit length;
* rule features from ``doc._.signals`` and ``doc._.evidence``: the rule
  decisions as 0/1, and per signal counts of accepted and rejected spans by
  label, category, rule, subject and context flag, hashed by ``FeatureHasher``.

``HashingVectorizer`` is the reference: :meth:`FeatureBuilder.text_reference`
uses it, and the fast path (:meth:`FeatureBuilder.text`, per-word caches of
hashed indices, the same murmurhash) gives the very same matrix, which a test
checks. Everything here is plain configuration: a builder is rebuilt from the
``features`` block of a bundle's manifest, never unpickled.
"""

from __future__ import annotations

import math
import re
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32

from ..schema import BOOL_SIGNALS

#: Bump when the meaning of a feature changes: a bundle made with another version is refused.
FEATURES_VERSION = 1

#: Token pattern of the word block (single letters and digits count: "x5", "6").
TOKEN_PATTERN = r"(?u)\b\w+\b"

DEFAULT_FEATURES: Dict[str, Any] = {
    "version": FEATURES_VERSION,
    "word_ngram_range": [1, 2],
    "word_n_features": 2**18,
    "char_ngram_range": [3, 5],
    "char_n_features": 2**18,
    "rule_n_features": 2**12,
    "rule_weight": 1.0,
}

#: Cache sizes of the fast text path; a cache that grows past its size is emptied.
WORD_CACHE_SIZE = 200_000
NGRAM_CACHE_SIZE = 400_000

#: Evidence labels the rule features never read: the model's own items (written after scoring).
IGNORED_LABELS = frozenset({"MODEL"})
CONTEXT_FLAGS = ("negated", "hypothetical", "historical")


def rule_features(signals: Mapping[str, Any], evidence: Mapping[str, Sequence[Mapping[str, Any]]]) -> Dict[str, float]:
    """The rule block of one record as {feature name: value} (counts as log(1 + n))."""
    counts: Dict[str, float] = {}

    def add(name: str) -> None:
        counts[name] = counts.get(name, 0.0) + 1.0

    for field, items in evidence.items():
        if field == "lacks_child_voice":
            continue
        for item in items:
            label = item.get("label")
            if label in IGNORED_LABELS:
                continue
            verdict = "acc" if item.get("accepted") else "rej"
            add(f"{field}|{verdict}")
            add(f"{field}|{label}|{item.get('category')}|{verdict}")
            add(f"{field}|rule={item.get('rule')}|{verdict}")
            subject = item.get("subject")
            if subject is not None:
                add(f"{field}|{verdict}|subject={subject}")
            for flag in CONTEXT_FLAGS:
                if item.get(flag):
                    add(f"{field}|{flag}")
    out = {name: math.log1p(n) for name, n in counts.items()}
    for name in BOOL_SIGNALS:
        if signals.get(name):
            out[f"decision={name}"] = 1.0
    for category in signals.get("risk_factors") or ():
        out[f"decision=risk_factors.{category}"] = 1.0
    ages = signals.get("child_ages") or ()
    if ages:
        out["ages|n"] = math.log1p(len(ages))
        youngest = min(ages)
        out[f"ages|youngest={'0-2' if youngest <= 2 else '3-10' if youngest <= 10 else '11-15' if youngest <= 15 else '16-17'}"] = 1.0
    return out


def _hash_index(feature: str, n_features: int) -> int:
    """The column ``FeatureHasher`` gives ``feature`` (signed murmurhash3, seed 0, |h| mod n)."""
    h = murmurhash3_32(feature, seed=0)
    if h == -2147483648:
        return (2147483647 - (n_features - 1)) % n_features
    return abs(h) % n_features


def _char_wb_ngrams(word: str, lo: int, hi: int) -> List[str]:
    """``HashingVectorizer(analyzer="char_wb")``'s n-grams of one word, in its order."""
    w = f" {word} "
    size = len(w)
    out: List[str] = []
    for n in range(lo, hi + 1):
        if size <= n:  # a short word counts once, whole
            out.append(w)
            break
        out.extend(w[i : i + n] for i in range(size - n + 1))
    return out


class FeatureBuilder:
    """Text and rule features of a batch of records, as one CSR matrix."""

    def __init__(self, config: Optional[Mapping[str, Any]] = None):
        cfg = dict(DEFAULT_FEATURES)
        cfg.update(config or {})
        if cfg.get("version") != FEATURES_VERSION:
            raise ValueError(f"features version {cfg.get('version')!r} is not {FEATURES_VERSION}: retrain the models")
        self.config = cfg
        self.word_range = tuple(int(n) for n in cfg["word_ngram_range"])
        self.char_range = tuple(int(n) for n in cfg["char_ngram_range"])
        self.word_n = int(cfg["word_n_features"])
        self.char_n = int(cfg["char_n_features"])
        self.rule_n = int(cfg["rule_n_features"])
        self.rule_weight = float(cfg["rule_weight"])
        if self.word_range[0] != 1 or self.word_range[1] not in (1, 2):
            raise ValueError("word_ngram_range must be [1, 1] or [1, 2]")
        self._token = re.compile(TOKEN_PATTERN)
        self._rules = FeatureHasher(n_features=self.rule_n, input_type="dict", alternate_sign=False)
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._word_cache: Dict[str, int] = {}
        self._bigram_cache: Dict[str, int] = {}
        self._char_cache: Dict[str, np.ndarray] = {}

    def __getstate__(self) -> Dict[str, Any]:
        # Caches are rebuilt where the builder lands (a worker process): never shipped.
        return {"config": self.config}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(state["config"])

    @property
    def n_features(self) -> int:
        return self.word_n + self.char_n + self.rule_n

    # -- text: the reference (HashingVectorizer) and the fast path giving the same matrix --

    def vectorizers(self) -> List[HashingVectorizer]:
        return [
            HashingVectorizer(analyzer="word", ngram_range=self.word_range, n_features=self.word_n, lowercase=True,
                              token_pattern=TOKEN_PATTERN, alternate_sign=False, norm="l2"),
            HashingVectorizer(analyzer="char_wb", ngram_range=self.char_range, n_features=self.char_n, lowercase=True,
                              alternate_sign=False, norm="l2"),
        ]

    def text_reference(self, texts: Sequence[str]) -> sp.csr_matrix:
        word, char = self.vectorizers()
        return sp.hstack([word.transform(texts), char.transform(texts)], format="csr")

    def text(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The word and char blocks, as :meth:`text_reference` gives them, faster (cached per word)."""
        if len(self._char_cache) > WORD_CACHE_SIZE or len(self._word_cache) > WORD_CACHE_SIZE:
            self._reset_caches()
        if len(self._bigram_cache) > NGRAM_CACHE_SIZE:
            self._bigram_cache = {}
        lowered = [t.lower() for t in texts]
        return sp.hstack([self._word_block(lowered), self._char_block(lowered)], format="csr")

    def _csr(self, rows: List[np.ndarray], n_features: int) -> sp.csr_matrix:
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(r) for r in rows], out=indptr[1:])
        indices = np.concatenate(rows) if rows else np.empty(0, dtype=np.int32)
        matrix = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), n_features))
        matrix.sum_duplicates()
        return normalize(matrix, norm="l2", copy=False)

    def _word_block(self, lowered: Sequence[str]) -> sp.csr_matrix:
        n, words, bigrams, bigram = self.word_n, self._word_cache, self._bigram_cache, self.word_range[1] == 2
        rows: List[np.ndarray] = []
        for text in lowered:
            tokens = self._token.findall(text)
            idx: List[int] = []
            for tok in tokens:
                h = words.get(tok)
                if h is None:
                    h = words[tok] = _hash_index(tok, n)
                idx.append(h)
            if bigram:
                for a, b in zip(tokens, tokens[1:]):
                    key = f"{a} {b}"
                    h = bigrams.get(key)
                    if h is None:
                        h = bigrams[key] = _hash_index(key, n)
                    idx.append(h)
            rows.append(np.asarray(idx, dtype=np.int32))
        return self._csr(rows, n)

    def _char_block(self, lowered: Sequence[str]) -> sp.csr_matrix:
        n, cache, (lo, hi) = self.char_n, self._char_cache, self.char_range
        empty = np.empty(0, dtype=np.int32)
        rows: List[np.ndarray] = []
        for text in lowered:
            parts = []
            for word in text.split():
                arr = cache.get(word)
                if arr is None:
                    arr = cache[word] = np.fromiter((_hash_index(g, n) for g in _char_wb_ngrams(word, lo, hi)), dtype=np.int32)
                parts.append(arr)
            rows.append(np.concatenate(parts) if parts else empty)
        return self._csr(rows, n)

    # -- rules ---------------------------------------------------------------------

    def rules(self, signals: Sequence[Mapping[str, Any]], evidence: Sequence[Mapping[str, Any]]) -> sp.csr_matrix:
        matrix = self._rules.transform(rule_features(s, e) for s, e in zip(signals, evidence))
        if self.rule_weight != 1.0:
            matrix = matrix * self.rule_weight
        return sp.csr_matrix(matrix, dtype=np.float64)

    def transform(self, texts: Sequence[str], signals: Sequence[Mapping[str, Any]], evidence: Sequence[Mapping[str, Any]],
                  *, reference: bool = False) -> sp.csr_matrix:
        """One row per record: word block, char block, rule block."""
        text = self.text_reference(texts) if reference else self.text(texts)
        return sp.hstack([text, self.rules(signals, evidence)], format="csr")


def rows_of_docs(docs: Iterable[Any]) -> tuple:
    """(texts, signals, evidence) of processed docs, for :meth:`FeatureBuilder.transform`."""
    texts, signals, evidence = [], [], []
    for doc in docs:
        texts.append(doc.text)
        signals.append(doc._.signals)
        evidence.append(doc._.evidence)
    return texts, signals, evidence
