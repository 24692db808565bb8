"""A warm tokenizer and vocabulary, so memory zones do not make every record start cold.

Inside ``nlp.memory_zone()`` spaCy's tokenizer caches nothing, and every
lexeme made for a new word is dropped when the zone closes (its strings are
freed, though spaCy's lexeme table keeps a tombstone for each: see
``batch.WarmPipeline``), and each chunk of a scan then splits the same
common words again and rebuilds their lexemes (a Python call per lexical
attribute). Cache entries and lexemes made outside any zone stay. So
:func:`warm`, run when the pipeline is loaded, tokenizes the words of incident
narratives (whitespace-separated, as the tokenizer caches them, in lower,
upper and title case) from ``resources/vocabulary.txt``, built from the train
and dev corpora. Outputs do not change: a token's split and a lexeme's
attributes are the same whenever they are made.

Regenerate the word list (never from the test split)::

    safeguard-nlp corpus vocabulary corpora/train.jsonl corpora/dev.jsonl
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

from spacy.language import Language

from . import resources

RESOURCE = "vocabulary.txt"
MIN_COUNT = 2


def words_of(texts: Iterable[str], min_count: int = MIN_COUNT) -> List[str]:
    """Lower-case whitespace-separated words (with a letter in them) seen at least ``min_count`` times, sorted."""
    counts: dict = {}
    for text in texts:
        for chunk in text.split():
            if any(c.isalpha() for c in chunk):
                word = chunk.lower()
                counts[word] = counts.get(word, 0) + 1
    return sorted(w for w, n in counts.items() if n >= min_count)


def bundled_words() -> List[str]:
    return [line.strip() for line in resources.read_text(RESOURCE).splitlines() if line.strip()]


def warm(nlp: Language, words: Optional[Sequence[str]] = None, batch: int = 2000) -> None:
    """Tokenize the bundled words outside any memory zone, so their splits and lexemes persist."""
    if nlp.vocab.in_memory_zone:
        raise RuntimeError("warm() must run outside nlp.memory_zone(): what it makes there is thrown away")
    words = bundled_words() if words is None else words
    forms = [form for word in words for form in dict.fromkeys((word, word.upper(), word.title()))]
    for i in range(0, len(forms), batch):
        nlp.tokenizer(" ".join(forms[i : i + batch]))


def write_bundled(files: Sequence[str], min_count: int = MIN_COUNT) -> Tuple[Path, int]:
    """Rewrite ``resources/vocabulary.txt`` from corpus files; returns where, and how many words."""
    texts = [json.loads(line)["text"] for f in files
             for line in Path(f).read_text(encoding="utf-8").splitlines() if line.strip()]
    words = words_of(texts, min_count)
    target = Path(resources.__file__).resolve().parent / RESOURCE
    target.write_text("\n".join(words) + "\n", encoding="utf-8")
    return target, len(words)
