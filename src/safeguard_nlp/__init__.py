"""safeguard-nlp: safeguarding signals, with evidence, from incident narratives.

    >>> import safeguard_nlp
    >>> safeguard_nlp.analyse("DA at address. Chn (4 & 7) present, PPN submitted.")["children_present"]
    True
"""

from __future__ import annotations

__version__ = "0.1.0"

from .api import analyse, annotate, explain  # noqa: E402
from .batch.process import WarmPipeline  # noqa: E402
from .frame import annotate_frame  # noqa: E402
from .pipeline import build, load  # noqa: E402
from .schema import RISK_FACTORS, SIGNAL_FIELDS  # noqa: E402


def evaluate(records, nlp=None):
    """Score a pipeline against gold records; see :mod:`safeguard_nlp.evaluation`."""
    from .evaluation import evaluate as _evaluate

    return _evaluate(records, nlp)


__all__ = ["analyse", "annotate", "annotate_frame", "build", "evaluate", "explain", "load", "WarmPipeline", "RISK_FACTORS",
           "SIGNAL_FIELDS", "__version__"]
