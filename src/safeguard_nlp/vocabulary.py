"""A warm vocabulary, so memory zones do not make every record start cold.

Inside ``nlp.memory_zone()`` every lexeme and tokenizer-cache entry made for a
new word is thrown away when the zone closes; that keeps memory flat over
millions of records, but it also means the next chunk builds the same common
words again (a Python call per lexical attribute). Lexemes made outside any
zone stay. So the build adds the words of incident narratives (from the train
and dev corpora, shipped as ``resources/vocabulary.txt``) to the pipeline's
strings, in lower, upper and title case, and :func:`warm` makes a lexeme for
every string when the pipeline is loaded. Outputs do not change: a lexeme's
attributes are the same whenever it is made.

Regenerate the word list (never from the test split), then rebuild::

    safeguard-nlp corpus vocabulary corpora/train.jsonl corpora/dev.jsonl
    safeguard-nlp build-model
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, List, Sequence, Tuple

from spacy.language import Language

from . import resources

RESOURCE = "vocabulary.txt"
MIN_COUNT = 2


def words_of(texts: Iterable[str], nlp: Language, min_count: int = MIN_COUNT) -> List[str]:
    """Lower-case words (with a letter in them) seen at least ``min_count`` times, sorted."""
    counts: dict = {}
    for doc in nlp.tokenizer.pipe(texts):
        for token in doc:
            if token.is_space or not any(c.isalpha() for c in token.text):
                continue
            word = token.lower_
            counts[word] = counts.get(word, 0) + 1
    return sorted(w for w, n in counts.items() if n >= min_count)


def bundled_words() -> List[str]:
    return [line.strip() for line in resources.read_text(RESOURCE).splitlines() if line.strip()]


def add_words(nlp: Language, words: Sequence[str]) -> None:
    """Put each word, and its upper- and title-case forms, in the pipeline's strings (saved with it)."""
    for word in words:
        for form in {word, word.upper(), word.title()}:
            nlp.vocab.strings.add(form)


def warm(nlp: Language) -> None:
    """Make a lexeme for every string of the pipeline, outside any memory zone, so they persist."""
    vocab = nlp.vocab
    for string in list(vocab.strings):
        if string and len(string) <= 40 and " " not in string:
            vocab[string]


def write_bundled(files: Sequence[str], min_count: int = MIN_COUNT) -> Tuple[Path, int]:
    """Rewrite ``resources/vocabulary.txt`` from corpus files; returns where, and how many words."""
    from .pipeline import blank

    texts = [json.loads(line)["text"] for f in files
             for line in Path(f).read_text(encoding="utf-8").splitlines() if line.strip()]
    words = words_of(texts, blank(), min_count)
    target = Path(resources.__file__).resolve().parent / RESOURCE
    target.write_text("\n".join(words) + "\n", encoding="utf-8")
    return target, len(words)
