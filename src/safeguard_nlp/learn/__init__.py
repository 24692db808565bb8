"""Trained scikit-learn models beside the rules: probabilities per signal, decision rules chosen on dev.

    safeguard-nlp train                       # fit, choose on dev, save models/ (bundle + scored pipeline)
    safeguard-nlp evaluate corpora/dev.jsonl --compare

    >>> import safeguard_nlp
    >>> nlp = safeguard_nlp.load("models/safeguard_pipeline_scored")   # doctest: +SKIP
    >>> nlp("...")._.scores["injury"]                                   # doctest: +SKIP

Or add the verified bundle to any rule pipeline::

    >>> from safeguard_nlp.learn import add_scores
    >>> nlp = add_scores(safeguard_nlp.load(), "models/signal_models")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

from .bundle import BundleError, BundleVersionWarning, ChecksumError, SignalModels, load_verified

BUNDLE_DIRNAME = "signal_models"
SCORED_DIRNAME = "safeguard_pipeline_scored"


def repo_bundle_dir() -> Path:
    """``models/signal_models`` of a source checkout."""
    from ..pipeline import repo_model_dir

    return repo_model_dir().parent / BUNDLE_DIRNAME


def repo_scored_dir() -> Path:
    """``models/safeguard_pipeline_scored`` of a source checkout."""
    from ..pipeline import repo_model_dir

    return repo_model_dir().parent / SCORED_DIRNAME


def add_scores(nlp, bundle: Union[str, Path, SignalModels, None] = None, *, name: str = "safeguard_scores"):
    """Add the ``safeguard_scores`` component, with verified models, at the end of ``nlp``; return ``nlp``."""
    from ..components import scores

    models = bundle if isinstance(bundle, SignalModels) else load_verified(bundle or repo_bundle_dir())
    pipe = nlp.add_pipe(scores.FACTORY, name=name, config={"manifest_sha256": models.manifest_sha256})
    pipe.use(models)
    return nlp


def build_scored(models: SignalModels, nlp=None):
    """The rule pipeline (``safeguard_nlp.build()`` unless given) with the models' scores at its end."""
    from .. import pipeline

    nlp = nlp if nlp is not None else pipeline.build()
    add_scores(nlp, models)
    nlp.meta.update({"name": SCORED_DIRNAME, "description": "safeguard-nlp rule pipeline with trained signal scores"})
    return nlp


__all__ = ["BundleError", "BundleVersionWarning", "ChecksumError", "SignalModels", "add_scores", "build_scored",
           "load_verified", "repo_bundle_dir", "repo_scored_dir"]
