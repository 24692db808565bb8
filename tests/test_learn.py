"""Trained signal models: features, training, the verified bundle, the scores component, the CLI.

Models here are trained on 60 train records and chosen on 30 dev records, to
keep the tests fast; the committed bundle is only checked to load.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import spacy

import safeguard_nlp
from safeguard_nlp.learn import BundleError, BundleVersionWarning, ChecksumError, build_scored, load_verified
from safeguard_nlp.learn.bundle import MANIFEST, manifest_bytes
from safeguard_nlp.learn.decide import DECISION_RULES, DERIVED, TARGETS, apply_decisions, scores_dict
from safeguard_nlp.learn.features import FeatureBuilder
from safeguard_nlp.learn.train import TrainConfig, rules_outputs, save_scored_pipeline, train
from safeguard_nlp.schema import BOOL_SIGNALS, RISK_FACTORS

SMALL = TrainConfig(Cs=(1.0, 10.0))


def differing(ids, left, right):
    """Ids whose outputs differ (never the outputs themselves: they quote the narratives)."""
    return [i for i, a, b in zip(ids, left, right) if a != b]


def file_hashes(folder: Path):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def rules_nlp():
    return safeguard_nlp.build()


@pytest.fixture(scope="module")
def small_splits(corpus_reader, root):
    train_records = corpus_reader(root / "corpora" / "train.jsonl")
    dev_records = corpus_reader(root / "corpora" / "dev.jsonl")
    # Every 7th train record and every 6th dev record: all six sources, most signals.
    return train_records[::7][:60], dev_records[::6][:30]


@pytest.fixture(scope="module")
def trained(small_splits, rules_nlp):
    train_records, dev_records = small_splits
    return train(train_records, dev_records, nlp=rules_nlp, config=SMALL)


@pytest.fixture(scope="module")
def bundle_dir(trained, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("bundle") / "signal_models"
    trained.models.write(target)
    return target


@pytest.fixture(scope="module")
def scored(bundle_dir):
    return build_scored(load_verified(bundle_dir))


@pytest.fixture(scope="module")
def scored_dir(trained, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("scored") / "safeguard_pipeline_scored"
    save_scored_pipeline(trained.models, target)
    return target


# -- features ---------------------------------------------------------------------------------

EDGE_TEXTS = ["", "   ", "x", "A - b -- c", "Ünïcödé  ÉCOLE naïve café's", "a\tb\nc", "hi!", "—", "1:2 3/4 don't", "YP (14) MFH x5"]


@pytest.mark.parametrize("config", [{}, {"char_n_features": 0}, {"word_ngram_range": [1, 1]}])
def test_fast_text_features_equal_hashing_vectorizer(dev_sample, config):
    builder = FeatureBuilder(config)
    texts = [r["text"] for r in dev_sample] + EDGE_TEXTS
    reference = builder.text_reference(texts)
    for _ in range(2):  # cold and warm caches
        fast = builder.text(texts)
        assert fast.shape == reference.shape
        assert abs(fast - reference).max() == 0.0 if reference.nnz else fast.nnz == 0


def test_kept_columns_equal_selecting_from_the_full_matrix(dev_sample, rules_nlp):
    texts, signals, evidence = rules_outputs(rules_nlp, [r["text"] for r in dev_sample] + EDGE_TEXTS)
    builder = FeatureBuilder()
    full = builder.transform(texts, signals, evidence, full=True)
    builder.fit_columns(full[:20])
    assert 0 < len(builder.columns) < builder.n_hashed
    fast = builder.transform(texts, signals, evidence)
    reference = builder.transform(texts, signals, evidence, reference=True)
    assert fast.shape == (len(texts), len(builder.columns))
    assert abs(fast - full[:, builder.columns]).max() == 0.0
    assert abs(fast - reference).max() == 0.0


# -- training ---------------------------------------------------------------------------------


def test_manifest_records_what_the_issue_asks(trained):
    manifest = trained.models.manifest
    assert set(manifest["targets"]) == set(TARGETS)
    for target, info in manifest["targets"].items():
        assert info["file"] in manifest["files"], target
        assert len(manifest["files"][info["file"]]) == 64
        rule = info["decision"]["rule"]
        if target == "lacks_child_voice":
            assert rule == DERIVED
        else:
            assert rule in DECISION_RULES, target
        if rule in ("model", "or", "and"):
            assert 0.0 < info["decision"]["threshold"] < 1.0, target
        assert set(info["dev_f1"]) == {"rules", "model", "or", "and"}
    for lib in ("scikit-learn", "spacy"):
        assert manifest["versions"][lib]
    for split in ("train", "dev"):
        assert len(manifest["training_data"][split]["sha256"]) == 64
    assert manifest["training_data"]["train"]["records"] == 60
    assert "test" not in manifest["metrics"]  # none given: none scored
    assert set(manifest["metrics"]["dev"]["injury"]) == {"rules", "model", "combined"}
    assert manifest["selection"]["on"] == "dev"


def test_choices_never_lose_to_the_rules_on_dev(trained):
    for target, row in trained.dev_report["targets"].items():
        if row["decision"] in ("model", "or", "and"):
            assert (row["combined"]["f1"] or 0) > (row["rules"]["f1"] or 0), target


def test_training_twice_gives_the_same_files(small_splits, rules_nlp, bundle_dir, tmp_path):
    train_records, dev_records = small_splits
    again = train(train_records, dev_records, nlp=rules_nlp, config=SMALL)
    again.models.write(tmp_path / "again")
    assert file_hashes(tmp_path / "again") == file_hashes(bundle_dir)


# -- the verified bundle ---------------------------------------------------------------------------


@pytest.fixture
def bundle_copy(bundle_dir, tmp_path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bundle_dir, target)
    return target


def test_a_tampered_file_is_refused_before_unpickling(bundle_copy, monkeypatch):
    victim = bundle_copy / "injury.joblib"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    import joblib

    def never(*args, **kwargs):
        raise AssertionError("joblib.load was called on an unverified bundle")

    monkeypatch.setattr(joblib, "load", never)
    with pytest.raises(ChecksumError, match=r"injury\.joblib.*sha256"):
        load_verified(bundle_copy)


def test_a_file_without_a_manifest_entry_is_refused(bundle_copy):
    shutil.copy(bundle_copy / "injury.joblib", bundle_copy / "extra.joblib")
    with pytest.raises(BundleError, match=r"extra\.joblib: no entry"):
        load_verified(bundle_copy)


def test_a_manifest_missing_an_entry_is_refused(bundle_copy):
    manifest = json.loads((bundle_copy / MANIFEST).read_text())
    del manifest["files"]["referral.joblib"]
    (bundle_copy / MANIFEST).write_bytes(manifest_bytes(manifest))
    with pytest.raises(BundleError, match="referral.joblib"):
        load_verified(bundle_copy)


def test_no_manifest_no_load(bundle_copy):
    (bundle_copy / MANIFEST).unlink()
    with pytest.raises(BundleError, match="manifest.json: missing"):
        load_verified(bundle_copy)


def test_a_pinned_manifest_must_match(bundle_dir):
    with pytest.raises(ChecksumError, match="manifest.json"):
        load_verified(bundle_dir, expected_manifest_sha256="0" * 64)
    models = load_verified(bundle_dir)
    assert load_verified(bundle_dir, expected_manifest_sha256=models.manifest_sha256).targets == models.targets


def test_a_version_mismatch_is_reported_plainly(bundle_copy):
    manifest = json.loads((bundle_copy / MANIFEST).read_text())
    manifest["versions"]["scikit-learn"] = "0.1.0"
    (bundle_copy / MANIFEST).write_bytes(manifest_bytes(manifest))
    with pytest.warns(BundleVersionWarning, match=r"trained with scikit-learn 0\.1\.0 and this is scikit-learn"):
        load_verified(bundle_copy)


# -- the scores component -------------------------------------------------------------------------


def test_scores_are_plain_floats_between_0_and_1(scored, dev_sample):
    for record, doc in zip(dev_sample, scored.pipe(r["text"] for r in dev_sample)):
        scores = doc._.scores
        assert set(scores) == set(BOOL_SIGNALS) | {"risk_factors"}, record["id"]
        assert set(scores["risk_factors"]) == set(RISK_FACTORS), record["id"]
        values = [scores[s] for s in BOOL_SIGNALS] + list(scores["risk_factors"].values())
        assert all(type(v) is float and 0.0 <= v <= 1.0 and not math.isnan(v) for v in values), record["id"]
        json.dumps(scores)


def test_signals_follow_the_decision_rules_and_say_so(scored, rules_nlp, dev_sample):
    texts = [r["text"] for r in dev_sample]
    manifest = scored.get_pipe("safeguard_scores").models.manifest
    for record, rules_doc, doc in zip(dev_sample, rules_nlp.pipe(texts), scored.pipe(texts)):
        for target in BOOL_SIGNALS:
            rule = manifest["targets"][target]["decision"]["rule"]
            before, after = rules_doc._.signals[target], doc._.signals[target]
            items = [i for i in doc._.evidence[target] if i["label"] == "MODEL"]
            if rule in ("rules", DERIVED) and target != "injury":
                assert after == before, (record["id"], target)
            if before != after and target not in ("lacks_child_voice", "injury"):
                assert items and items[-1]["decision"] == after and items[-1]["rules_decision"] == before, (record["id"], target)
        assert doc._.signals["lacks_child_voice"] == (doc._.signals["children_present"] and not doc._.signals["child_voice"])
        assert not doc._.signals["child_injury"] or doc._.signals["injury"], record["id"]
        assert doc._.signals["risk_factors"] == sorted(doc._.signals["risk_factors"])


def test_batch_and_single_docs_score_alike(scored, dev_sample):
    texts = [r["text"] for r in dev_sample[:12]]
    batch = [d._.scores for d in scored.pipe(texts, batch_size=5)]
    single = [scored(t)._.scores for t in texts]
    assert differing([r["id"] for r in dev_sample[:12]], batch, single) == []


def test_decision_rules_unit():
    signals = {"children_present": True, "injury": False, "child_injury": False, "missing_episode": False,
               "risk_factors": ["looked_after"], "child_voice": True, "lacks_child_voice": False,
               "domestic_abuse": True, "referral": False, "child_ages": [7]}
    evidence = {k: [] for k in signals}
    probs = {t: 0.5 for t in TARGETS}
    probs.update({"child_injury": 0.9, "domestic_abuse": 0.05, "child_voice": 0.01, "risk_factors.looked_after": 0.02})
    decisions = {t: {"rule": "rules", "threshold": None} for t in TARGETS}
    decisions.update({"child_injury": {"rule": "or", "threshold": 0.8}, "domestic_abuse": {"rule": "and", "threshold": 0.1},
                      "child_voice": {"rule": "model", "threshold": 0.5},
                      "risk_factors.looked_after": {"rule": "and", "threshold": 0.1}})
    out, ev = apply_decisions(signals, evidence, probs, decisions)
    assert out["child_injury"] and out["injury"]  # or: the model adds; an injury to a child is an injury
    assert not out["domestic_abuse"] and not out["child_voice"] and out["risk_factors"] == []
    assert out["lacks_child_voice"] and ev["lacks_child_voice"][0]["accepted"]
    item = ev["child_injury"][-1]
    assert (item["label"], item["rule"], item["probability"], item["threshold"]) == ("MODEL", "model.child_injury", 0.9, 0.8)
    assert "changed the decision from false to true" in item["reason"]
    assert ev["risk_factors"][-1]["category"] == "looked_after"
    assert signals["child_injury"] is False and evidence["child_injury"] == []  # inputs untouched
    assert scores_dict(probs)["risk_factors"]["looked_after"] == 0.02


def test_to_disk_and_load_give_identical_output(scored, scored_dir, dev_sample, tmp_path):
    texts = [r["text"] for r in dev_sample]
    ids = [r["id"] for r in dev_sample]
    before = [(d._.signals, d._.evidence, d._.scores) for d in scored.pipe(texts)]
    for reloaded in (spacy.load(scored_dir), safeguard_nlp.load(scored_dir)):
        assert reloaded.pipe_names[-1] == "safeguard_scores"
        after = [(d._.signals, d._.evidence, d._.scores) for d in reloaded.pipe(texts)]
        assert differing(ids, before, after) == []
    # Saved again, the component writes the very bundle files it loaded.
    spacy.load(scored_dir).to_disk(tmp_path / "again")
    assert file_hashes(tmp_path / "again" / "safeguard_scores") == file_hashes(scored_dir / "safeguard_scores")


def test_a_tampered_scored_pipeline_is_refused(scored_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(scored_dir, copy)
    victim = copy / "safeguard_scores" / "referral.joblib"
    victim.write_bytes(victim.read_bytes()[:-1] + bytes([victim.read_bytes()[-1] ^ 0xFF]))
    with pytest.raises(ChecksumError, match="referral.joblib"):
        spacy.load(copy)


SPAWN_SCRIPT = r"""
import json, multiprocessing, sys
multiprocessing.set_start_method("spawn", force=True)
import safeguard_nlp

if __name__ == "__main__":
    texts = json.load(open(sys.argv[2], encoding="utf-8"))
    nlp = safeguard_nlp.load(sys.argv[1])
    docs = list(nlp.pipe(texts, n_process=2, batch_size=4))
    print(json.dumps({"start_method": multiprocessing.get_start_method(),
                      "out": [[d._.signals, d._.evidence, d._.scores] for d in docs]}))
"""


def test_n_process_2_under_spawn_gives_identical_output(scored_dir, dev_sample, tmp_path):
    texts = [r["text"] for r in dev_sample[:16]]
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    (tmp_path / "spawn.py").write_text(SPAWN_SCRIPT, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(tmp_path / "spawn.py"), str(scored_dir), str(tmp_path / "texts.json")],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["start_method"] == "spawn"
    local = json.loads(json.dumps([[d._.signals, d._.evidence, d._.scores] for d in safeguard_nlp.load(scored_dir).pipe(texts)]))
    assert differing([r["id"] for r in dev_sample[:16]], local, result["out"]) == []


# -- the command line -----------------------------------------------------------------------------


def test_cli_train_then_evaluate_compare(small_splits, write_jsonl, tmp_path, capsys):
    from safeguard_nlp.cli import main

    train_records, dev_records = small_splits
    train_file = write_jsonl(tmp_path / "train.jsonl", [dict(r) for r in train_records[:40]])
    dev_file = write_jsonl(tmp_path / "dev.jsonl", [dict(r) for r in dev_records[:20]])
    code = main(["train", "--train", str(train_file), "--dev", str(dev_file), "--no-test", "-q",
                 "-o", str(tmp_path / "bundle"), "--pipeline-output", str(tmp_path / "scored")])
    assert code == 0
    out = capsys.readouterr().out
    assert "rules P/R/F1" in out and "saved the models" in out
    manifest = json.loads((tmp_path / "bundle" / MANIFEST).read_text())
    assert manifest["training_data"]["train"]["file"] == "train.jsonl"
    assert (tmp_path / "scored" / "safeguard_scores" / MANIFEST).read_bytes() == (tmp_path / "bundle" / MANIFEST).read_bytes()

    code = main(["evaluate", str(dev_file), "--model", str(tmp_path / "scored"), "--compare", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 20 and set(report["targets"]["injury"]) >= {"rules", "model", "combined", "decision"}
    code = main(["evaluate", str(dev_file), "--compare", str(tmp_path / "bundle")])
    assert code == 0
    assert "combined P/R/F1" in capsys.readouterr().out


def test_evaluate_compare_refuses_a_bad_bundle(tmp_path, write_jsonl, small_splits, bundle_dir, capsys):
    from safeguard_nlp.cli import main

    copy = tmp_path / "bad"
    shutil.copytree(bundle_dir, copy)
    (copy / "injury.joblib").write_bytes(b"not a model")
    dev_file = write_jsonl(tmp_path / "dev.jsonl", [dict(r) for r in small_splits[1][:3]])
    assert main(["evaluate", str(dev_file), "--compare", str(copy)]) == 1
    assert "injury.joblib" in capsys.readouterr().err


# -- the committed models -------------------------------------------------------------------------


def test_committed_bundle_and_scored_pipeline_verify(root):
    bundle, scored_dir = root / "models" / "signal_models", root / "models" / "safeguard_pipeline_scored"
    if not (bundle / MANIFEST).is_file():
        pytest.skip("no trained bundle committed (run `safeguard-nlp train`)")
    with warnings.catch_warnings():
        warnings.simplefilter("error", BundleVersionWarning)
        models = load_verified(bundle)
    assert "test" in models.manifest["metrics"] and "dev" in models.manifest["metrics"]
    if (scored_dir / "config.cfg").is_file():
        nlp = safeguard_nlp.load(scored_dir)
        assert nlp.get_pipe("safeguard_scores").models.manifest_sha256 == models.manifest_sha256
        doc = nlp("Mum reports her son (6) was present and has a bruise on his arm.")
        assert 0.0 <= doc._.scores["injury"] <= 1.0
