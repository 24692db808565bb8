"""Tokenizer for incident-log shorthand.

spaCy's English tokenizer keeps ``15yo``, ``14yrs``, ``2314hrs``, ``x2`` and
``4&7`` whole, so a rule for "15" + "yo" never sees them. This tokenizer is
the English one plus a few infixes that split digits from the letters glued to
them, a suffix for the full stop after an ALL-CAPS possessive ("MOTHER'S."),
and spaCy's contraction exceptions in capitals ("WOULDN'T" as "WOULD" + "N'T");
everything else (exceptions, URLs) is spaCy's own behaviour.
"""

from __future__ import annotations

from typing import Callable, Dict, List

from spacy.attrs import ORTH

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_suffix_regex, registry

EXTRA_INFIXES = (
    r"(?<=[0-9])(?=[A-Za-z])",  # 15yo, 14yrs, 2314hrs, 3mths
    r"(?<=^[xX])(?=[0-9])",  # x2, X3
    r"(?<=[0-9])[&+](?=[0-9])",  # 4&7
    r"(?<=[A-Za-z]{2})[/+](?=[A-Za-z]{2})",  # mum/dad, he/she (not O/S, y/o)
    r"(?<=[A-Za-z]{2})\.(?=[A-Za-z]{2})",  # missing space after a full stop
    r"(?<=[A-Za-z])[,;](?=[A-Za-z])",  # missing space after a comma
)
#: Shorthand the digit infix would split into a letter that reads as a word ("f2f": not "f" for father).
WHOLE_WORDS = ("f2f", "F2F", "F2f")
EXTRA_SUFFIXES = (
    r"(?<=['’][sS])\.",  # "AT HIS MOTHER'S." (spaCy splits a full stop after capitals only after two of them)
)


def upper_case_contractions(exceptions: Dict[str, List[Dict[int, str]]]) -> Dict[str, List[Dict[int, str]]]:
    """spaCy splits "wouldn't" and "didnt" into "would" + "n't", "did" + "nt", and "Wouldn't", but not
    "WOULDN'T": the same split for the ALL-CAPS forms, so a cue on "n't" reads a log in capitals as well.
    Only contractions (an apostrophe, or a negation without one): "ID" and "WED" stay whole."""
    out = {}
    for text, pieces in exceptions.items():
        if text != text.lower() or len(pieces) < 2 or text.upper() in exceptions:
            continue
        if not any(q in text for q in ("'", "’")) and not text.endswith("nt"):
            continue
        upper = [{**piece, ORTH: piece[ORTH].upper()} for piece in pieces]
        if "".join(piece[ORTH] for piece in upper) == text.upper():
            out[text.upper()] = upper
    return out


@registry.tokenizers("safeguard_nlp.tokenizer.v1")
def create_incident_tokenizer() -> Callable[[Language], Tokenizer]:
    """Registered tokenizer factory, used as ``[nlp.tokenizer]`` in the config."""

    def make(nlp: Language) -> Tokenizer:
        tokenizer = registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
        infixes = list(nlp.Defaults.infixes or []) + list(EXTRA_INFIXES)
        tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
        suffixes = list(nlp.Defaults.suffixes or []) + list(EXTRA_SUFFIXES)
        tokenizer.suffix_search = compile_suffix_regex(suffixes).search
        for text, pieces in upper_case_contractions(nlp.Defaults.tokenizer_exceptions or {}).items():
            tokenizer.add_special_case(text, pieces)
        for text in WHOLE_WORDS:
            tokenizer.add_special_case(text, [{ORTH: text}])
        return tokenizer

    return make
