"""Trained-model scores beside the rules: ``doc._.scores``, and the decision rule applied to ``doc._.signals``.

The ``safeguard_scores`` component runs after ``safeguard_signals``. For a
whole batch at once it builds one feature matrix (the text, and the rules'
signals and evidence) and asks each signal model for its probability; then,
for each signal, the decision rule chosen on dev (rules, model, or, and)
makes ``doc._.signals``. Where the model took part, ``doc._.evidence`` gets
an item labelled ``MODEL`` with the probability and the threshold.

Where the models come from:

* saved with the pipeline: ``nlp.to_disk`` writes the bundle's files and
  manifest into the component's folder, and ``spacy.load`` verifies them
  (sha256, against the manifest, itself pinned by ``manifest_sha256`` in the
  config) before anything is unpickled;
* or a bundle folder named in the config (``bundle``), loaded and verified
  on ``initialize`` or on first use.

``doc._.scores`` is plain data (floats in a dict), so ``nlp.pipe(n_process=2)``
under spawn and ``Doc.to_bytes`` keep it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator, List, Optional, Union

from spacy import util
from spacy.language import Language
from spacy.tokens import Doc

FACTORY = "safeguard_scores"


def register_extensions() -> None:
    if not Doc.has_extension("scores"):
        Doc.set_extension("scores", default=None)


@Language.factory(FACTORY, default_config={"bundle": "", "manifest_sha256": ""})
def make_scores(nlp: Language, name: str, bundle: str, manifest_sha256: str) -> "SignalScorer":
    return SignalScorer(name, bundle=bundle, manifest_sha256=manifest_sha256)


class SignalScorer:
    """Applies a verified :class:`~safeguard_nlp.learn.bundle.SignalModels` to batches of docs."""

    def __init__(self, name: str = FACTORY, *, bundle: str = "", manifest_sha256: str = ""):
        self.name = name
        self.bundle = bundle or ""
        self.manifest_sha256 = manifest_sha256 or ""
        self.models = None
        register_extensions()

    # -- where the models come from ----------------------------------------------------

    def use(self, models) -> "SignalScorer":
        """Use already loaded (verified) models."""
        if self.manifest_sha256 and models.manifest_sha256 != self.manifest_sha256:
            from ..learn.bundle import ChecksumError

            raise ChecksumError(f"{self.name}: the models' manifest sha256 {models.manifest_sha256} is not the pinned "
                                f"{self.manifest_sha256}")
        self.models = models
        return self

    def load_bundle(self, path: Union[str, Path]) -> "SignalScorer":
        from ..learn.bundle import load_verified

        self.models = load_verified(path, expected_manifest_sha256=self.manifest_sha256 or None)
        return self

    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None) -> None:
        if self.models is None and self.bundle:
            self.load_bundle(self.bundle)

    def _ready(self):
        if self.models is None:
            if not self.bundle:
                raise ValueError(
                    f"{self.name}: no signal models loaded. Load a saved pipeline that carries them "
                    f"(models/safeguard_pipeline_scored, written by `safeguard-nlp train`), or add the component "
                    f"with config {{'bundle': 'models/signal_models'}}"
                )
            self.load_bundle(self.bundle)
        return self.models

    # -- the work -----------------------------------------------------------------------

    def __call__(self, doc: Doc) -> Doc:
        return self._apply([doc])[0]

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = 256) -> Iterator[Doc]:
        for batch in util.minibatch(stream, size=batch_size):
            yield from self._apply(list(batch))

    def _apply(self, docs: List[Doc]) -> List[Doc]:
        from ..learn.decide import apply_decisions, scores_dict

        models = self._ready()
        if not docs:
            return docs
        for doc in docs:
            if doc._.signals is None or doc._.evidence is None:
                raise ValueError(f"{self.name} needs doc._.signals and doc._.evidence: put it after safeguard_signals")
        probs = models.predict([d.text for d in docs], [d._.signals for d in docs], [d._.evidence for d in docs])
        decisions = {t: info["decision"] for t, info in models.manifest["targets"].items()}
        for i, doc in enumerate(docs):
            row = {t: float(p[i]) for t, p in probs.items()}
            doc._.scores = scores_dict(row)
            doc._.signals, doc._.evidence = apply_decisions(doc._.signals, doc._.evidence, row, decisions)
        return docs

    # -- serialisation: the bundle's files, verified on the way in ----------------------------

    def to_disk(self, path: Union[str, Path], *, exclude=tuple()) -> None:
        self._ready().write(path)

    def from_disk(self, path: Union[str, Path], *, exclude=tuple()) -> "SignalScorer":
        return self.load_bundle(path)

    def to_bytes(self, *, exclude=tuple()) -> bytes:
        import srsly

        from ..learn.bundle import manifest_bytes

        models = self._ready()
        return srsly.msgpack_dumps({"manifest": manifest_bytes(models.manifest), "files": dict(models.files)})

    def from_bytes(self, data: bytes, *, exclude=tuple()) -> "SignalScorer":
        import srsly

        from ..learn.bundle import models_from_bytes

        msg = srsly.msgpack_loads(data)
        self.models = models_from_bytes(msg["manifest"], msg["files"], where=f"<{self.name} bytes>",
                                        expected_manifest_sha256=self.manifest_sha256 or None)
        return self
