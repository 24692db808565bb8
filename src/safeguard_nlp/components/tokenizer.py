"""Tokenizer for incident-log shorthand.

spaCy's English tokenizer keeps ``15yo``, ``14yrs``, ``2314hrs``, ``x2`` and
``4&7`` whole, so a rule for "15" + "yo" never sees them. This tokenizer is
the English one plus a few infixes that split digits from the letters glued to
them, and a suffix for the full stop after an ALL-CAPS possessive
("MOTHER'S."); everything else (exceptions, URLs) is spaCy's own behaviour.
"""

from __future__ import annotations

from typing import Callable

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
EXTRA_SUFFIXES = (
    r"(?<=['’][sS])\.",  # "AT HIS MOTHER'S." (spaCy splits a full stop after capitals only after two of them)
)


@registry.tokenizers("safeguard_nlp.tokenizer.v1")
def create_incident_tokenizer() -> Callable[[Language], Tokenizer]:
    """Registered tokenizer factory, used as ``[nlp.tokenizer]`` in the config."""

    def make(nlp: Language) -> Tokenizer:
        tokenizer = registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
        infixes = list(nlp.Defaults.infixes or []) + list(EXTRA_INFIXES)
        tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
        suffixes = list(nlp.Defaults.suffixes or []) + list(EXTRA_SUFFIXES)
        tokenizer.suffix_search = compile_suffix_regex(suffixes).search
        return tokenizer

    return make
