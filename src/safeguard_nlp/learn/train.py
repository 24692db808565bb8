"""Train the signal models: fit on train, choose on dev, report dev (and test) side by side.

For each target (every boolean signal of SIGNALS.md and every risk-factor
category) one L2 logistic regression (liblinear, fixed ``random_state``) on
the features of :mod:`.features`, with Platt scaling fitted on out-of-fold
predictions of the training split (``CalibratedClassifierCV``, unshuffled
stratified folds, ``ensemble=False``: one final model). Everything chosen is
chosen on dev: the regularisation ``C`` (dev average precision), and the decision rule
and its threshold (dev F1, see :mod:`.decide`). The test split, when given,
is only scored, after every choice is made, for the manifest.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, log_loss
from sklearn.model_selection import StratifiedKFold

from ..text import clean_text, is_blank, squeeze_spaces
from .bundle import FORMAT, FORMAT_VERSION, SignalModels, dump_model, library_versions, swap_into_place
from .compare import compare_outputs, f1_of, gold_value, predict_in_batches, rounded
from .decide import DERIVED, DERIVED_TARGETS, PREFERENCE, TARGETS, rules_value
from .features import COLUMNS_FILE, DEFAULT_FEATURES, FeatureBuilder

Record = Dict[str, Any]
RANDOM_STATE = 0


@dataclass(frozen=True)
class TrainConfig:
    #: Regularisation values tried per target (chosen by dev average precision; ties to the smaller C).
    Cs: Tuple[float, ...] = (1.0, 10.0, 100.0)
    #: Folds of the training split for Platt scaling (fewer when a class is rarer).
    cv_folds: int = 5
    #: A decision rule other than "rules" must beat the rules' dev F1 by at least this much.
    min_gain: float = 0.01
    #: Thresholds tried for the "model" rule; "or" uses those >= 0.5, "and" those <= 0.5.
    thresholds: Tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))
    features: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_FEATURES))
    #: Processes fitting targets in parallel (results do not depend on it).
    n_jobs: int = 1


@dataclass
class Trained:
    models: SignalModels
    dev_report: Dict[str, Any]
    test_report: Optional[Dict[str, Any]]


# -- data -----------------------------------------------------------------------------


def prepared_text(text: Any) -> str:
    """The text the pipeline reads, as ``annotate`` prepares it (markup blanked, space runs squeezed)."""
    if is_blank(text):
        return ""
    return squeeze_spaces(clean_text(text))[0]


def rules_outputs(nlp, texts: Sequence[Any], *, batch_size: int = 256) -> Tuple[List[str], List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(prepared texts, rule signals, rule evidence), with any ``safeguard_scores`` component disabled."""
    from ..schema import SIGNAL_FIELDS, empty_signals

    prepared = [prepared_text(t) for t in texts]
    disabled = [name for name in nlp.pipe_names if nlp.get_pipe_meta(name).factory == "safeguard_scores"]
    signals: List[Dict[str, Any]] = []
    evidence: List[Dict[str, Any]] = []
    with nlp.select_pipes(disable=disabled):
        for doc in nlp.pipe(prepared, batch_size=batch_size):
            if doc._.signals is None:
                raise ValueError("the pipeline sets no doc._.signals: the rule components must run before the models")
            signals.append(doc._.signals if doc.text.strip() else empty_signals())
            evidence.append(doc._.evidence if doc.text.strip() else {f: [] for f in SIGNAL_FIELDS})
    return prepared, signals, evidence


def records_sha256(records: Sequence[Record]) -> str:
    """A hash of the records themselves (id, text, labels), whatever the file's formatting."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(json.dumps({"id": r.get("id"), "text": r["text"], "labels": r["labels"]}, sort_keys=True,
                                 ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def rules_checksum(nlp) -> str:
    """The checksum of the rule pipeline the features were read from (as ``pipeline.model_checksum``)."""
    from ..pipeline import model_checksum

    with tempfile.TemporaryDirectory() as tmp:
        disabled = [name for name in nlp.pipe_names if nlp.get_pipe_meta(name).factory == "safeguard_scores"]
        nlp.to_disk(Path(tmp) / "p", exclude=disabled)
        return model_checksum(Path(tmp) / "p")


# -- fitting --------------------------------------------------------------------------


def _logistic(C: float) -> LogisticRegression:
    """L2 logistic regression, liblinear, dual (fast with many more features than records)."""
    params = dict(C=C, solver="liblinear", dual=True, random_state=RANDOM_STATE, max_iter=1000)
    if "l1_ratio" in inspect.signature(LogisticRegression).parameters and _sklearn_at_least(1, 8):
        params["l1_ratio"] = 0.0
    else:
        params["penalty"] = "l2"
    return LogisticRegression(**params)


def _sklearn_at_least(major: int, minor: int) -> bool:
    import sklearn

    parts = tuple(int(p) for p in sklearn.__version__.split(".")[:2] if p.isdigit())
    return parts >= (major, minor)


def fit_one(X, y: np.ndarray, C: float, cv_folds: int):
    """A calibrated classifier for one target, or the class prior when a class is too rare to calibrate."""
    positives = int(y.sum())
    folds = min(cv_folds, positives, len(y) - positives)
    if folds < 2:
        return DummyClassifier(strategy="prior").fit(X, y), "prior"
    model = CalibratedClassifierCV(_logistic(C), method="sigmoid", cv=StratifiedKFold(n_splits=folds), ensemble=False)
    return model.fit(X, y), f"logistic regression (liblinear, L2, C={C:g}) with Platt scaling on {folds} folds of train"


def fit_target(target: str, X_train, y_train: np.ndarray, X_dev, y_dev: np.ndarray, config: TrainConfig) -> Dict[str, Any]:
    """Choose C by the dev average precision of the plain regression (ties: the smaller C), then calibrate that one.

    Platt scaling is monotone, so the calibrated model ranks dev records as the
    plain one does: ranking quality is chosen on dev once per C, and only the
    chosen C pays for the calibration folds.
    """
    from .bundle import positive_proba

    positives = int(y_train.sum())
    scores: Dict[str, float] = {}
    best_C = config.Cs[0]
    if min(positives, len(y_train) - positives) >= 2 and 0 < int(y_dev.sum()) < len(y_dev):
        best = None
        for C in config.Cs:
            plain = _logistic(C).fit(X_train, y_train)
            ap = float(average_precision_score(y_dev, plain.decision_function(X_dev)))
            scores[f"{C:g}"] = round(ap, 6)
            if best is None or ap > best + 1e-12:
                best, best_C = ap, C
    model, kind = fit_one(X_train, y_train, best_C, config.cv_folds)
    p = positive_proba(model, X_dev)
    loss = float(log_loss(y_dev, np.clip(p, 1e-12, 1 - 1e-12), labels=[0, 1])) if len(y_dev) else 0.0
    # The bytes are made where the model was fitted: a model that crossed a process boundary
    # pickles with another memo layout, and the files must not depend on n_jobs.
    return {"target": target, "C": best_C, "bytes": dump_model(model), "kind": kind, "p_dev": p, "loss": loss, "ap": scores}


# -- choosing the decision rule on dev ------------------------------------------------


def _best_threshold(gold: np.ndarray, make: Callable[[float], np.ndarray], grid: Sequence[float]) -> Tuple[float, float]:
    """(threshold, F1) maximising dev F1; among equal bests, the middle one (the most robust)."""
    scored = [(t, f1_of(gold, make(t))) for t in grid]
    top = max(f for _, f in scored)
    ties = [t for t, f in scored if f >= top - 1e-12]
    return ties[len(ties) // 2], top


def choose_decision(gold: np.ndarray, rules: np.ndarray, p: np.ndarray, config: TrainConfig, *, usable: bool = True) -> Dict[str, Any]:
    """The decision rule of one target, by dev F1: ``rules`` unless another beats it by ``min_gain``."""
    grid = list(config.thresholds)
    high = [t for t in grid if t >= 0.5]
    low = [t for t in grid if t <= 0.5]
    thresholds, f1 = {}, {"rules": f1_of(gold, rules)}
    thresholds["model"], f1["model"] = _best_threshold(gold, lambda t: p >= t, grid)
    thresholds["or"], f1["or"] = _best_threshold(gold, lambda t: rules | (p >= t), high)
    thresholds["and"], f1["and"] = _best_threshold(gold, lambda t: rules & (p >= t), low)
    rule = "rules"
    if usable:
        best_other = max((r for r in PREFERENCE if r != "rules"), key=lambda r: (f1[r], -PREFERENCE.index(r)))
        if f1[best_other] >= f1["rules"] + config.min_gain - 1e-12 and f1[best_other] > f1["rules"]:
            rule = best_other
    return {
        "decision": {"rule": rule, "threshold": thresholds.get(rule)},
        "thresholds": thresholds,
        "dev_f1": {k: round(v, 6) for k, v in f1.items()},
    }


# -- the whole run --------------------------------------------------------------------


def _targets_y(labels: Sequence[Mapping[str, Any]], target: str) -> np.ndarray:
    return np.array([gold_value(l, target) for l in labels], dtype=int)


def train(train_records: Sequence[Record], dev_records: Sequence[Record], test_records: Optional[Sequence[Record]] = None,
          *, nlp=None, config: Optional[TrainConfig] = None, data_names: Optional[Mapping[str, str]] = None,
          log: Callable[[str], None] = lambda msg: None) -> Trained:
    """Fit every target on ``train_records``, choose on ``dev_records``; score ``test_records`` last, if given.

    ``nlp`` is the rule pipeline whose signals and evidence become features
    (``safeguard_nlp.build()`` by default). Same records and same libraries
    give byte-identical model files and manifest.
    """
    from .. import pipeline

    config = config or TrainConfig()
    nlp = nlp if nlp is not None else pipeline.build()
    features = FeatureBuilder(config.features)
    train_records, dev_records = list(train_records), list(dev_records)

    log(f"running the rules on {len(train_records)} train and {len(dev_records)} dev records")
    tr = rules_outputs(nlp, [r["text"] for r in train_records])
    dv = rules_outputs(nlp, [r["text"] for r in dev_records])
    X_full = features.transform(*tr, full=True)
    features.fit_columns(X_full)
    X_train = X_full[:, features.columns]
    X_dev = features.transform(*dv)
    log(f"{X_train.shape[1]} feature columns seen in at least {features.min_df} training records")
    y_train = {t: _targets_y([r["labels"] for r in train_records], t) for t in TARGETS}
    y_dev = {t: _targets_y([r["labels"] for r in dev_records], t) for t in TARGETS}

    log(f"fitting {len(TARGETS)} targets x {len(config.Cs)} values of C")
    if config.n_jobs == 1:
        fits = [fit_target(t, X_train, y_train[t], X_dev, y_dev[t], config) for t in TARGETS]
    else:
        from joblib import Parallel, delayed

        fits = Parallel(n_jobs=config.n_jobs)(delayed(fit_target)(t, X_train, y_train[t], X_dev, y_dev[t], config) for t in TARGETS)

    targets: Dict[str, Any] = {}
    files: Dict[str, bytes] = {}
    estimators: Dict[str, Any] = {}
    for fit in fits:
        t = fit["target"]
        rules = np.array([rules_value(s, t) for s in dv[1]], dtype=bool)
        usable = fit["kind"] != "prior" and t not in DERIVED_TARGETS
        choice = choose_decision(y_dev[t].astype(bool), rules, fit["p_dev"], config, usable=usable)
        if t in DERIVED_TARGETS:
            choice["decision"] = {"rule": DERIVED, "threshold": None}
        name = f"{t}.joblib"
        files[name] = fit["bytes"]
        estimators[t] = joblib.load(io.BytesIO(fit["bytes"]))  # the very model the file holds
        targets[t] = {
            "file": name,
            "estimator": fit["kind"],
            "C": fit["C"] if fit["kind"] != "prior" else None,
            "dev_average_precision_by_C": fit["ap"],
            "dev_log_loss": round(fit["loss"], 6),
            "train_counts": {"positive": int(y_train[t].sum()), "negative": int(len(y_train[t]) - y_train[t].sum())},
            **choice,
        }

    files[COLUMNS_FILE] = features.columns_bytes()
    names = dict(data_names or {})
    data = {
        "train": {"records": len(train_records), "sha256": records_sha256(train_records), **_file_info(names.get("train"))},
        "dev": {"records": len(dev_records), "sha256": records_sha256(dev_records), **_file_info(names.get("dev"))},
    }
    if test_records is not None:
        data["test"] = {"records": len(test_records), "sha256": records_sha256(test_records), **_file_info(names.get("test"))}
    from .bundle import sha256_bytes

    manifest: Dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "description": "safeguard-nlp signal models: a calibrated scikit-learn classifier per signal and risk factor",
        "versions": library_versions(),
        "training_data": data,
        "rules_checksum": rules_checksum(nlp),
        "features": dict(features.config),
        "columns": {"file": COLUMNS_FILE, "count": int(len(features.columns))},
        "selection": {
            "on": "dev",
            "C": "highest dev average precision among " + ", ".join(f"{c:g}" for c in config.Cs),
            "decision": f"highest dev F1 among rules, model, or, and; a rule other than 'rules' must gain at least "
                        f"{config.min_gain:g} F1 over the rules; ties: {' > '.join(PREFERENCE)}",
            "min_gain": config.min_gain,
        },
        "targets": targets,
        "files": {name: sha256_bytes(data) for name, data in sorted(files.items())},
    }
    models = SignalModels(manifest, estimators, files)
    dev_probs = {fit["target"]: fit["p_dev"] for fit in fits}
    dev_report = compare_outputs([r["labels"] for r in dev_records], dv[1], dv[2], dev_probs, targets)
    metrics = {"dev": _summary(dev_report)}
    test_report = None
    if test_records is not None:
        test_records = list(test_records)
        log(f"scoring {len(test_records)} test records (after every choice was made on dev)")
        te = rules_outputs(nlp, [r["text"] for r in test_records])
        test_probs = predict_in_batches(models, *te)
        test_report = compare_outputs([r["labels"] for r in test_records], te[1], te[2], test_probs, targets)
        metrics["test"] = _summary(test_report)
    manifest["metrics"] = rounded(metrics)
    return Trained(models=SignalModels(manifest, estimators, files), dev_report=dev_report, test_report=test_report)


def _file_info(path: Optional[str]) -> Dict[str, Any]:
    if not path:
        return {}
    p = Path(path)
    return {"file": p.name, "file_sha256": hashlib.sha256(p.read_bytes()).hexdigest()}


def _summary(report: Mapping[str, Any]) -> Dict[str, Any]:
    """Per target and column: precision, recall, F1 and counts (the manifest's metrics)."""
    keep = ("precision", "recall", "f1", "support", "tp", "fp", "fn")
    out: Dict[str, Any] = {"records": report["n"]}
    for t, row in report["targets"].items():
        out[t] = {col: {k: row[col][k] for k in keep} for col in ("rules", "model", "combined")}
    out["risk_factors.micro"] = {col: {k: report["risk_factors_micro"][col][k] for k in keep} for col in ("rules", "model", "combined")}
    return out


# -- saving ---------------------------------------------------------------------------


def save_scored_pipeline(models: SignalModels, path, *, nlp=None) -> str:
    """Save the rule pipeline with the models' scores at ``path`` (replacing a pipeline there); return its checksum."""
    import shutil

    from ..pipeline import model_checksum
    from . import build_scored

    target = Path(path)
    if target.exists() and any(target.iterdir()) and not (target / "config.cfg").is_file():
        raise ValueError(f"{target} is a folder but not a saved pipeline (no config.cfg): not overwriting it")
    target.parent.mkdir(parents=True, exist_ok=True)
    scored = build_scored(models, nlp)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        scored.to_disk(tmp)
        tmp.chmod(0o755)
        swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return model_checksum(target)
