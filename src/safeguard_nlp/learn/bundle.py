"""A bundle of trained signal models on disk: joblib files beside a manifest, verified before loading.

Layout of a bundle folder (``models/signal_models`` by default)::

    manifest.json              what the bundle is: files and their sha256, versions,
                               training-data hashes, features, decision rules, metrics
    <target>.joblib            one fitted scikit-learn classifier per signal or risk factor

``joblib.load`` runs pickle, which can run code: :func:`load_verified` reads
each file's bytes, checks their sha256 against the manifest and unpickles
those very bytes only when every file matches. A file that does not match, a
model file the manifest does not list, or a manifest entry that is not a plain
file name is refused with an error naming the file.

What the checksums protect against is a changed, corrupted or swapped file;
whoever can rewrite the folder can rewrite the manifest too. Pin the
manifest itself (``expected_manifest_sha256``; a saved scored pipeline pins
it in its ``config.cfg``) or the whole pipeline (``safeguard_checksum``) to
trust a bundle from elsewhere.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import joblib
import numpy as np

from .features import FeatureBuilder

MANIFEST = "manifest.json"
FORMAT = "safeguard-nlp/signal-models"
FORMAT_VERSION = 1
MODEL_SUFFIX = ".joblib"
#: joblib compression: zlib at level 3 (deterministic: the same model gives the same bytes).
COMPRESS = ("zlib", 3)
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.(joblib|npy)$")
#: Files a bundle may hold besides its manifest: joblib models, and numpy arrays (read without pickle).
BUNDLE_SUFFIXES = (".joblib", ".npy")

PathLike = Union[str, Path]


class BundleError(ValueError):
    """A model bundle cannot be used: the message says which file and why."""


class ChecksumError(BundleError):
    """A file of a bundle does not match the sha256 its manifest records."""


class BundleVersionWarning(UserWarning):
    """The bundle was made with another scikit-learn or spaCy (major.minor) than this one."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def library_versions() -> Dict[str, str]:
    import platform

    import scipy
    import sklearn
    import spacy

    from .. import __version__

    return {
        "safeguard_nlp": __version__,
        "scikit-learn": sklearn.__version__,
        "spacy": spacy.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
        "python": ".".join(platform.python_version_tuple()[:2]),
    }


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest as written: sorted keys, two-space indent, a final newline (byte-stable)."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def dump_model(estimator: Any) -> bytes:
    """A fitted estimator as joblib bytes (the same estimator always gives the same bytes)."""
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer, compress=COMPRESS)
    return buffer.getvalue()


class SignalModels:
    """Loaded, verified models: probabilities per target for a batch, and the decision rules."""

    def __init__(self, manifest: Dict[str, Any], estimators: Dict[str, Any], files: Dict[str, bytes]):
        self.manifest = manifest
        self.targets: List[str] = list(manifest["targets"])
        self.estimators = estimators
        self.files = files  # the verified bytes, written back as they are by write()
        columns = manifest.get("columns")
        self.features = FeatureBuilder(
            manifest["features"], columns=FeatureBuilder.columns_from_bytes(files[columns["file"]]) if columns else None)

    @property
    def manifest_sha256(self) -> str:
        return sha256_bytes(manifest_bytes(self.manifest))

    def target(self, name: str) -> Dict[str, Any]:
        return self.manifest["targets"][name]

    def predict(self, texts: Sequence[str], signals: Sequence[Mapping[str, Any]], evidence: Sequence[Mapping[str, Any]]) -> Dict[str, np.ndarray]:
        """P(signal true) per target for a whole batch: one feature matrix, one call per model."""
        if not texts:
            return {t: np.zeros(0) for t in self.targets}
        X = self.features.transform(texts, signals, evidence)
        return {t: positive_proba(self.estimators[t], X) for t in self.targets}

    def write(self, path: PathLike) -> None:
        """Write the bundle (the verified bytes, unchanged) to ``path``, replacing a bundle there."""
        write_files(path, manifest_bytes(self.manifest), self.files)


def positive_proba(estimator: Any, X) -> np.ndarray:
    """The probability of the positive class (1), whatever the column order."""
    proba = estimator.predict_proba(X)
    classes = list(getattr(estimator, "classes_", [0, 1]))
    if 1 not in classes:
        return np.zeros(X.shape[0])
    return np.asarray(proba[:, classes.index(1)], dtype=np.float64)


def write_files(path: PathLike, manifest: bytes, files: Mapping[str, bytes]) -> None:
    """Write a bundle folder through a temporary sibling, then swap it in.

    An existing ``path`` is replaced only when it is a bundle (holds a
    manifest) or empty: never a folder of something else.
    """
    target = Path(path)
    if target.exists():
        if not target.is_dir():
            raise BundleError(f"{target} exists and is not a folder: not overwriting it")
        if any(target.iterdir()) and not (target / MANIFEST).is_file():
            raise BundleError(f"{target} is a folder but not a model bundle (no {MANIFEST}): not overwriting it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, data in sorted(files.items()):
            _check_name(name, where=str(tmp))
            (tmp / name).write_bytes(data)
        (tmp / MANIFEST).write_bytes(manifest)
        os.chmod(tmp, 0o755)
        swap_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def swap_into_place(tmp: Path, target: Path) -> None:
    """Move the finished folder ``tmp`` to ``target``, replacing what is there by renames, never by a half-written folder."""
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old)
    else:
        tmp.rename(target)


def _check_name(name: str, *, where: str) -> None:
    if not isinstance(name, str) or not _PLAIN_NAME.match(name) or name.startswith("."):
        raise BundleError(f"{where}/{MANIFEST}: {name!r} is not a plain bundle file name (NAME.joblib or NAME.npy): "
                          f"refusing the bundle")


def _major_minor(version: str) -> tuple:
    parts = re.findall(r"\d+", version or "")[:2]
    return tuple(int(p) for p in parts)


def check_versions(manifest: Mapping[str, Any], where: str) -> List[str]:
    """Plain-language warnings where the bundle's scikit-learn or spaCy differ (major.minor) from ours."""
    made_with = manifest.get("versions") or {}
    here = library_versions()
    out = []
    for lib in ("scikit-learn", "spacy"):
        then, now = made_with.get(lib), here[lib]
        if then is None:
            out.append(f"{where}: the manifest does not say which {lib} made these models; this is {lib} {now}")
        elif _major_minor(then) != _major_minor(now):
            out.append(
                f"{where}: these models were trained with {lib} {then} and this is {lib} {now}; "
                f"their scores may differ or they may fail to load: retrain them with `safeguard-nlp train`"
            )
    return out


def read_manifest(data: bytes, where: str) -> Dict[str, Any]:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{where}: not a safeguard-nlp model manifest (format is not {FORMAT!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{where}: manifest format version {manifest.get('format_version')!r}; this library reads "
                          f"version {FORMAT_VERSION}: retrain with `safeguard-nlp train`")
    for key in ("files", "targets", "features"):
        if not isinstance(manifest.get(key), dict):
            raise BundleError(f"{where}: the manifest has no {key!r} table")
    return manifest


def verify_files(manifest: Mapping[str, Any], files: Mapping[str, bytes], where: str) -> None:
    """Raise unless every model file is listed, and each listed file is present with its recorded sha256."""
    listed: Dict[str, str] = manifest["files"]
    for name in listed:
        _check_name(name, where=where)
    for name in sorted(files):
        if name not in listed:
            raise BundleError(f"{where}/{name}: no entry for this file in {MANIFEST}: refusing to load the bundle "
                              f"(an unlisted file cannot be verified)")
    named = [(f"target {t!r}", info.get("file") if isinstance(info, dict) else None) for t, info in manifest["targets"].items()]
    if manifest.get("columns") is not None:
        named.append(("columns", (manifest["columns"] or {}).get("file")))
    for what, name in named:
        if name not in listed:
            raise BundleError(f"{where}/{MANIFEST}: {what} names file {name!r}, which has no sha256 entry: "
                              f"refusing to load it")
    for name in sorted(listed):
        if name not in files:
            raise BundleError(f"{where}/{name}: listed in {MANIFEST} but missing")
        actual = sha256_bytes(files[name])
        if actual != listed[name]:
            raise ChecksumError(
                f"{where}/{name}: sha256 {actual} does not match {listed[name]} recorded in {MANIFEST}; "
                f"the file was changed or corrupted: refusing to load it"
            )


def models_from_bytes(manifest_data: bytes, files: Mapping[str, bytes], *, where: str,
                      expected_manifest_sha256: Optional[str] = None) -> SignalModels:
    """Verify, then unpickle: nothing is passed to ``joblib.load`` before every check has passed."""
    if expected_manifest_sha256:
        actual = sha256_bytes(manifest_data)
        if actual != expected_manifest_sha256:
            raise ChecksumError(f"{where}/{MANIFEST}: sha256 {actual} is not the pinned {expected_manifest_sha256}: "
                                f"refusing to load this bundle")
    manifest = read_manifest(manifest_data, f"{where}/{MANIFEST}")
    verify_files(manifest, files, where)
    for message in check_versions(manifest, where):
        warnings.warn(message, BundleVersionWarning, stacklevel=3)
    try:
        FeatureBuilder(manifest["features"])  # refuses a features version this library cannot build
    except ValueError as exc:
        raise BundleError(f"{where}/{MANIFEST}: {exc}") from None
    estimators = {}
    for target, info in manifest["targets"].items():
        estimators[target] = joblib.load(io.BytesIO(files[info["file"]]))
    return SignalModels(manifest, estimators, {name: files[name] for name in manifest["files"]})


def load_verified(path: PathLike, *, expected_manifest_sha256: Optional[str] = None) -> SignalModels:
    """Load the bundle at ``path`` after checking every file against its manifest.

    Raises :class:`BundleError` (or :class:`ChecksumError`) naming the file when
    the manifest is missing or malformed, a model file is unlisted, missing or
    changed; warns (:class:`BundleVersionWarning`) when scikit-learn or spaCy
    differ in major.minor from the versions that trained the models.
    """
    root = Path(path)
    if not root.is_dir():
        raise BundleError(f"{root}: no such model bundle folder (train one with `safeguard-nlp train`)")
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"{manifest_path}: missing; refusing to load models that cannot be verified")
    files = {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.is_file() and p.name.endswith(BUNDLE_SUFFIXES)}
    return models_from_bytes(manifest_path.read_bytes(), files, where=str(root),
                             expected_manifest_sha256=expected_manifest_sha256)
