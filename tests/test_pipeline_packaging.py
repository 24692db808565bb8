"""The saved pipeline as a package: entry points, save and load, multiprocessing, staleness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc, Span, Token

import safeguard_nlp
from safeguard_nlp.schema import SIGNAL_FIELDS

EXPECTED_PIPES = ["safeguard_entities", "safeguard_ages", "safeguard_context", "safeguard_voice", "safeguard_signals"]
TOKENIZER = "safeguard_nlp.tokenizer.v1"


def differing(ids, left, right):
    """Ids whose outputs differ (never the outputs themselves: they quote the narratives)."""
    return [i for i, a, b in zip(ids, left, right) if a != b]


def outputs(nlp, texts, **kwargs):
    return [(doc._.signals, doc._.evidence) for doc in nlp.pipe(texts, **kwargs)]


def run_python(code: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("SAFEGUARD_NLP_MODEL", None)
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stderr[-3000:]}"
    return proc


# -- (a) pipe names and entry points -------------------------------------------------


def test_pipe_names(nlp):
    assert nlp.pipe_names == EXPECTED_PIPES


def test_every_factory_is_an_entry_point(nlp):
    advertised = {ep.name: ep for ep in entry_points(group="spacy_factories")}
    for name in nlp.pipe_names:
        factory = nlp.get_pipe_meta(name).factory
        assert factory in advertised, f"factory {factory!r} is not under the spacy_factories entry points"
        # The entry point must lead to the very function spaCy has registered.
        assert advertised[factory].load() is spacy.registry.factories.get(factory), factory


def test_tokenizer_is_an_entry_point(nlp):
    assert nlp.config["nlp"]["tokenizer"]["@tokenizers"] == TOKENIZER
    advertised = {ep.name: ep for ep in entry_points(group="spacy_tokenizers")}
    assert TOKENIZER in advertised
    assert advertised[TOKENIZER].load() is spacy.registry.tokenizers.get(TOKENIZER)


def test_spacy_load_works_without_importing_the_package(root):
    # A user with only spaCy: the entry points must let spacy.load find every factory.
    code = (
        "import sys, json, spacy\n"
        "assert 'safeguard_nlp' not in sys.modules\n"
        "nlp = spacy.load(sys.argv[1])\n"
        "doc = nlp('Mum reports her son (6) was present.')\n"
        "print(json.dumps({'pipes': nlp.pipe_names, 'fields': sorted(doc._.signals)}))\n"
    )
    proc = run_python(code, str(root / "models" / "safeguard_pipeline"))
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"pipes": EXPECTED_PIPES, "fields": sorted(SIGNAL_FIELDS)}


# -- (b) to_disk and back ------------------------------------------------------------


def test_to_disk_and_load_give_identical_output(nlp, dev_sample, tmp_path):
    target = tmp_path / "pipeline"
    nlp.to_disk(target)
    reloaded = spacy.load(target)
    texts = [r["text"] for r in dev_sample]
    ids = [r["id"] for r in dev_sample]
    assert len(texts) >= 35
    before, after = outputs(nlp, texts), outputs(reloaded, texts)
    assert differing(ids, before, after) == []
    # And the reloaded pipeline is the same pipeline, not just one that happens to agree.
    assert reloaded.pipe_names == nlp.pipe_names
    assert reloaded.config.to_str() == nlp.config.to_str()


def test_safeguard_load_of_a_saved_copy(nlp, dev_sample, tmp_path):
    from safeguard_nlp.pipeline import model_checksum, save

    target = tmp_path / "copy"
    checksum = save(nlp, target)
    assert checksum == model_checksum(target)
    copy = safeguard_nlp.load(target)
    assert copy.meta["safeguard_checksum"] == checksum
    texts = [r["text"] for r in dev_sample[:10]]
    assert differing([r["id"] for r in dev_sample[:10]], outputs(nlp, texts), outputs(copy, texts)) == []


# -- (c) two processes under spawn ---------------------------------------------------

SPAWN_SCRIPT = r"""
import json, multiprocessing, sys
multiprocessing.set_start_method("spawn", force=True)
import safeguard_nlp

texts = json.load(open(sys.argv[1], encoding="utf-8"))
nlp = safeguard_nlp.load()
docs = list(nlp.pipe(texts, n_process=2, batch_size=4))
print(json.dumps({
    "start_method": multiprocessing.get_start_method(),
    "signals": [d._.signals for d in docs],
    "evidence": [d._.evidence for d in docs],
}))
"""


def test_n_process_2_under_spawn_gives_identical_signals(nlp, dev_sample, tmp_path):
    texts = [r["text"] for r in dev_sample]
    ids = [r["id"] for r in dev_sample]
    path = tmp_path / "texts.json"
    path.write_text(json.dumps(texts), encoding="utf-8")
    proc = run_python(SPAWN_SCRIPT, str(path), timeout=180)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["start_method"] == "spawn"
    assert len(result["signals"]) == len(texts)
    local = [doc._.signals for doc in nlp.pipe(texts)]
    # Through JSON on both sides, so tuples and lists compare alike.
    local_evidence = json.loads(json.dumps([doc._.evidence for doc in nlp.pipe(texts)]))
    assert differing(ids, local, result["signals"]) == []
    assert differing(ids, local_evidence, result["evidence"]) == []


# -- (d) the committed model is not stale ------------------------------------------

COMPARED_FILES = ("config.cfg", "safeguard_entities/patterns.jsonl", "safeguard_context/cues.jsonl", "tokenizer")


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("rebuilt") / "safeguard_pipeline"
    safeguard_nlp.build().to_disk(target)
    return target


def file_set(path: Path):
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())


def test_committed_model_has_the_files_build_writes(rebuilt, root):
    committed = root / "models" / "safeguard_pipeline"
    assert file_set(committed) == file_set(rebuilt)


@pytest.mark.parametrize("name", COMPARED_FILES)
def test_committed_model_is_not_stale(rebuilt, root, name):
    committed = root / "models" / "safeguard_pipeline" / name
    assert committed.is_file(), f"models/safeguard_pipeline/{name} is missing"
    assert (rebuilt / name).read_bytes() == committed.read_bytes(), (
        f"models/safeguard_pipeline/{name} differs from a fresh build: run `safeguard-nlp build-model`"
    )


def test_build_is_deterministic(rebuilt, tmp_path):
    again = tmp_path / "again"
    safeguard_nlp.build().to_disk(again)
    for name in COMPARED_FILES:
        assert (again / name).read_bytes() == (rebuilt / name).read_bytes(), name


# -- (e) plain data only ---------------------------------------------------------------

PLAIN = (dict, list, str, int, float, bool, type(None))


def non_plain(value, where="$"):
    """Paths inside ``value`` that hold anything but JSON-like data."""
    if isinstance(value, (Span, Doc, Token)) or not isinstance(value, PLAIN):
        return [f"{where}: {type(value).__name__}"]
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                out.append(f"{where}: key of type {type(k).__name__}")
            out += non_plain(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += non_plain(v, f"{where}[{i}]")
    return out


def test_extensions_hold_plain_data(nlp, dev_sample):
    bad = []
    for record, doc in zip(dev_sample, nlp.pipe(r["text"] for r in dev_sample)):
        for ext in ("signals", "evidence"):
            value = getattr(doc._, ext)
            json.dumps(value)
            bad += [f"{record['id']} {ext}{p[1:]}" for p in non_plain(value)]
        assert set(doc._.signals) == set(SIGNAL_FIELDS)
        assert set(doc._.evidence) == set(SIGNAL_FIELDS)
    assert bad == []


def test_doc_bytes_round_trip_keeps_signals(nlp, dev_sample):
    # What nlp.pipe(n_process=...) does to send a Doc between processes.
    changed = []
    for record in dev_sample[:10]:
        doc = nlp(record["text"])
        copy = Doc(nlp.vocab).from_bytes(doc.to_bytes())
        if (copy._.signals, copy._.evidence) != (doc._.signals, doc._.evidence):
            changed.append(record["id"])
    assert changed == []
