"""Build, save, find and load the assembled safeguarding pipeline."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Optional, Union

import spacy
from spacy.language import Language

# Importing the component modules registers their factories.
from .components import ages, context, entities, signals, tokenizer, voice  # noqa: F401
from . import vocabulary

PIPE_NAMES = ("safeguard_entities", "safeguard_ages", "safeguard_context", "safeguard_voice", "safeguard_signals")
MODEL_DIRNAME = "safeguard_pipeline"
ENV_MODEL = "SAFEGUARD_NLP_MODEL"


class ModelNotFoundError(FileNotFoundError):
    """No saved pipeline where one was looked for."""


def blank() -> Language:
    """A blank English pipeline with the incident-shorthand tokenizer and no components."""
    return spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "safeguard_nlp.tokenizer.v1"}}})


def build() -> Language:
    """Assemble the pipeline from the rules bundled in the package."""
    from . import __version__

    nlp = blank()
    for name in PIPE_NAMES:
        nlp.add_pipe(name)
    nlp.initialize()
    nlp.meta.update({"name": "safeguard_pipeline", "version": __version__, "description": "safeguard-nlp rule pipeline",
                     "license": "MIT", "author": "safeguard-nlp"})
    return nlp


def repo_model_dir() -> Path:
    """``models/`` of a source checkout (three levels above this file)."""
    return Path(__file__).resolve().parents[2] / "models" / MODEL_DIRNAME


def packaged_model_dir() -> Path:
    """Where a wheel carries the saved pipeline."""
    return Path(__file__).resolve().parent / "_models" / MODEL_DIRNAME


def default_model_path() -> Path:
    """The saved pipeline to load when the caller names none."""
    env = os.environ.get(ENV_MODEL)
    if env:
        return Path(env)
    for candidate in (packaged_model_dir(), repo_model_dir()):
        if (candidate / "config.cfg").is_file():
            return candidate
    raise ModelNotFoundError(
        f"no saved pipeline found in {packaged_model_dir()} or {repo_model_dir()}; "
        f"run `safeguard-nlp build-model` or set {ENV_MODEL}"
    )


def load(path: Optional[Union[str, Path]] = None) -> Language:
    """Load the saved pipeline (``models/safeguard_pipeline`` unless ``path`` is given)."""
    target = Path(path) if path is not None else default_model_path()
    if not (target / "config.cfg").is_file():
        raise ModelNotFoundError(f"{target} is not a saved spaCy pipeline (no config.cfg)")
    nlp = spacy.load(target)
    vocabulary.warm(nlp)
    signals.register_extensions()
    nlp.meta["safeguard_checksum"] = model_checksum(target)
    return nlp


def model_checksum(path: Union[str, Path]) -> str:
    """sha256 over every file of a saved pipeline (names and contents), so outputs name the rules used."""
    root = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file() and p.name != "meta.json"):
        digest.update(str(file.relative_to(root).as_posix()).encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
    return digest.hexdigest()


def save(nlp: Language, path: Union[str, Path]) -> str:
    """Save ``nlp`` to ``path`` and return the checksum of what was written."""
    target = Path(path)
    nlp.to_disk(target)
    return model_checksum(target)
