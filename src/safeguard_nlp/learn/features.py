"""Features of a record for the trained signal models: its words, its characters, and what the rules found.

Three blocks, side by side in one sparse row:

* word 1-2 grams and ``char_wb`` 3-5 grams of the lower-cased text, hashed
  as scikit-learn's ``HashingVectorizer`` does (no vocabulary to save, nothing
  learnt), each block scaled to unit length;
* rule features from ``doc._.signals`` and ``doc._.evidence``: the rule
  decisions as 0/1, and per signal counts of accepted and rejected spans by
  label, category, rule, subject and context flag, hashed by ``FeatureHasher``.

``HashingVectorizer`` is the reference: :meth:`FeatureBuilder.text_reference`
uses it, and the fast path (:meth:`FeatureBuilder.text`, a cache of hashed
indices per whitespace-separated chunk, the same murmurhash) gives the very
same matrix, which a test checks. Everything here is plain configuration: a builder is rebuilt from the
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
    "min_df": 3,
}

#: The file of a bundle holding the kept columns (numpy .npy, read without pickle).
COLUMNS_FILE = "columns.npy"

#: Cache sizes of the fast text path (chunks, cross-chunk bigrams); a cache that grows past its size is emptied.
WORD_CACHE_SIZE = 200_000
NGRAM_CACHE_SIZE = 400_000

#: Evidence labels the rule features never read: the model's own items (written after scoring).
IGNORED_LABELS = frozenset({"MODEL"})
CONTEXT_FLAGS = ("negated", "hypothetical", "historical")


def rule_features(signals: Mapping[str, Any], evidence: Mapping[str, Sequence[Mapping[str, Any]]]) -> Dict[str, float]:
    """The rule block of one record as {feature name: value} (counts as log(1 + n))."""
    counts: Dict[str, float] = {}
    get = counts.get
    for field, items in evidence.items():
        if field == "lacks_child_voice":
            continue
        for item in items:
            label = item.get("label")
            if label in IGNORED_LABELS:
                continue
            verdict = "acc" if item.get("accepted") else "rej"
            names = [f"{field}|{verdict}", f"{field}|{label}|{item.get('category')}|{verdict}",
                     f"{field}|rule={item.get('rule')}|{verdict}"]
            subject = item.get("subject")
            if subject is not None:
                names.append(f"{field}|{verdict}|subject={subject}")
                for flag in CONTEXT_FLAGS:
                    if item.get(flag):
                        names.append(f"{field}|{flag}")
            for name in names:
                counts[name] = get(name, 0.0) + 1.0
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
    """Text and rule features of a batch of records, as one CSR matrix.

    After :meth:`fit_columns` (or with ``columns`` given) only the hashed
    columns seen in at least ``min_df`` training records are kept: a feature
    seen once cannot generalise, and the models stay small.
    """

    def __init__(self, config: Optional[Mapping[str, Any]] = None, columns: Optional[np.ndarray] = None):
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
        self.min_df = int(cfg.get("min_df", 1))
        self.columns: Optional[np.ndarray] = None
        if columns is not None:
            self.set_columns(columns)
        self._token = re.compile(TOKEN_PATTERN)
        self._rules = FeatureHasher(n_features=self.rule_n, input_type="dict", alternate_sign=False)
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._chunk_cache: Dict[str, tuple] = {}
        self._bigram_cache: Dict[str, int] = {}

    def __getstate__(self) -> Dict[str, Any]:
        # Caches are rebuilt where the builder lands (a worker process): never shipped.
        return {"config": self.config, "columns": self.columns}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(state["config"], state.get("columns"))

    @property
    def n_hashed(self) -> int:
        return self.word_n + (self.char_n or 0) + self.rule_n

    @property
    def n_features(self) -> int:
        return self.n_hashed if self.columns is None else len(self.columns)

    def set_columns(self, columns: np.ndarray) -> None:
        self._remap = None
        columns = np.asarray(columns)
        if columns.ndim != 1 or columns.dtype.kind not in "iu" or (len(columns) and (
                columns.min() < 0 or columns.max() >= self.n_hashed or np.any(np.diff(columns) <= 0))):
            raise ValueError(f"columns must be increasing column numbers below {self.n_hashed}")
        self.columns = columns.astype(np.int64)

    def fit_columns(self, matrix: sp.csr_matrix) -> np.ndarray:
        """Keep the columns of the full (hashed) ``matrix`` non-zero in at least ``min_df`` rows."""
        df = np.bincount(matrix.indices, minlength=self.n_hashed)
        self.set_columns(np.flatnonzero(df >= max(1, self.min_df)))
        return self.columns

    def columns_bytes(self) -> bytes:
        import io

        buffer = io.BytesIO()
        np.save(buffer, np.asarray(self.columns, dtype="<i8"), allow_pickle=False)
        return buffer.getvalue()

    @staticmethod
    def columns_from_bytes(data: bytes) -> np.ndarray:
        import io

        return np.load(io.BytesIO(data), allow_pickle=False)

    # -- text: the reference (HashingVectorizer) and the fast path giving the same matrix --

    def vectorizers(self) -> List[HashingVectorizer]:
        """The reference vectorizers: word n-grams, and char_wb n-grams unless ``char_n_features`` is 0."""
        out = [HashingVectorizer(analyzer="word", ngram_range=self.word_range, n_features=self.word_n, lowercase=True,
                                 token_pattern=TOKEN_PATTERN, alternate_sign=False, norm="l2")]
        if self.char_n:
            out.append(HashingVectorizer(analyzer="char_wb", ngram_range=self.char_range, n_features=self.char_n,
                                         lowercase=True, alternate_sign=False, norm="l2"))
        return out

    def text_reference(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = [v.transform(texts) for v in self.vectorizers()]
        return sp.hstack(blocks, format="csr")

    def text(self, texts: Sequence[str], *, full: bool = True) -> sp.csr_matrix:
        """The word and char blocks, as :meth:`text_reference` gives them, faster.

        A word n-gram (``\\b\\w+\\b``) never spans whitespace, so the text is read
        as whitespace-separated chunks, each looked up once in a cache of its
        hashed tokens, inner bigrams and char n-grams; only the bigrams across
        chunks are hashed per record. Counting, scaling (each block to unit
        length) and, unless ``full``, keeping the chosen columns are done for
        the whole batch at once in numpy.
        """
        if len(self._chunk_cache) > WORD_CACHE_SIZE:
            self._chunk_cache = {}
        if len(self._bigram_cache) > NGRAM_CACHE_SIZE:
            self._bigram_cache = {}
        cache, bigrams, n = self._chunk_cache, self._bigram_cache, self.word_n
        use_bigrams = self.word_range[1] == 2
        parts: List[np.ndarray] = []
        sizes: List[int] = []
        for text in texts:
            size = 0
            cross: List[int] = []
            last = None
            for chunk in text.lower().split():
                entry = cache.get(chunk)
                if entry is None:
                    entry = cache[chunk] = self._chunk(chunk)
                first, final, hashed = entry
                parts.append(hashed)
                size += len(hashed)
                if use_bigrams and first is not None:
                    if last is not None:
                        key = last + " " + first
                        h = bigrams.get(key)
                        if h is None:
                            h = bigrams[key] = _hash_index(key, n)
                        cross.append(h)
                    last = final
            if cross:
                parts.append(np.asarray(cross, dtype=np.int64))
                size += len(cross)
            sizes.append(size)
        return self._count_and_scale(parts, sizes, full=full)

    def _chunk(self, chunk: str) -> tuple:
        """(first token, last token, hashed columns of its tokens, inner bigrams and char_wb n-grams)."""
        tokens = self._token.findall(chunk)
        n = self.word_n
        hashed = [_hash_index(t, n) for t in tokens]
        if self.word_range[1] == 2:
            hashed += [_hash_index(f"{a} {b}", n) for a, b in zip(tokens, tokens[1:])]
        if self.char_n:
            lo, hi = self.char_range
            hashed += [n + _hash_index(g, self.char_n) for g in _char_wb_ngrams(chunk, lo, hi)]
        return (tokens[0] if tokens else None, tokens[-1] if tokens else None, np.asarray(hashed, dtype=np.int64))

    def _count_and_scale(self, parts: List[np.ndarray], sizes: List[int], *, full: bool) -> sp.csr_matrix:
        n_rows, n_text = len(sizes), self.word_n + (self.char_n or 0)
        cols = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), sizes)
        keys, counts = np.unique(rows * n_text + cols, return_counts=True)
        rows, cols = keys // n_text, keys % n_text
        block = (cols >= self.word_n).astype(np.int64)
        data = counts.astype(np.float64)
        norms = np.sqrt(np.bincount(rows * 2 + block, weights=data * data, minlength=2 * n_rows))
        data /= norms[rows * 2 + block]
        width = n_text
        if not full and self.columns is not None:
            remap = self._text_remap()
            new = remap[cols]
            keep = new >= 0
            rows, cols, data = rows[keep], new[keep], data[keep]
            width = int((self.columns < n_text).sum())
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return sp.csr_matrix((data, cols, indptr), shape=(n_rows, width))

    def _text_remap(self) -> np.ndarray:
        """Column of each text column among the kept ones (-1 when dropped); cached."""
        remap = getattr(self, "_remap", None)
        if remap is None:
            n_text = self.word_n + (self.char_n or 0)
            text_cols = self.columns[self.columns < n_text]
            remap = np.full(n_text, -1, dtype=np.int64)
            remap[text_cols] = np.arange(len(text_cols))
            self._remap = remap
        return remap

    # -- rules ---------------------------------------------------------------------

    def rules(self, signals: Sequence[Mapping[str, Any]], evidence: Sequence[Mapping[str, Any]]) -> sp.csr_matrix:
        matrix = self._rules.transform(rule_features(s, e) for s, e in zip(signals, evidence))
        if self.rule_weight != 1.0:
            matrix = matrix * self.rule_weight
        return sp.csr_matrix(matrix, dtype=np.float64)

    def transform(self, texts: Sequence[str], signals: Sequence[Mapping[str, Any]], evidence: Sequence[Mapping[str, Any]],
                  *, reference: bool = False, full: bool = False) -> sp.csr_matrix:
        """One row per record: word block, char block, rule block (the kept columns, unless ``full``)."""
        if reference or full or self.columns is None:
            text = self.text_reference(texts) if reference else self.text(texts)
            matrix = sp.hstack([text, self.rules(signals, evidence)], format="csr")
            return matrix if full or self.columns is None else matrix[:, self.columns]
        n_text = self.word_n + (self.char_n or 0)
        rule_cols = self.columns[self.columns >= n_text] - n_text
        return sp.hstack([self.text(texts, full=False), self.rules(signals, evidence)[:, rule_cols]], format="csr")


def rows_of_docs(docs: Iterable[Any]) -> tuple:
    """(texts, signals, evidence) of processed docs, for :meth:`FeatureBuilder.transform`."""
    texts, signals, evidence = [], [], []
    for doc in docs:
        texts.append(doc.text)
        signals.append(doc._.signals)
        evidence.append(doc._.evidence)
    return texts, signals, evidence
