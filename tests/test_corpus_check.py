"""``safeguard-nlp corpus check`` on small hand-made files, and the real corpora."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Dict

import pytest

from safeguard_nlp import cli
from safeguard_nlp.corpus import check_files
from safeguard_nlp.evaluation.metrics import read_records
from safeguard_nlp.schema import BOOL_SIGNALS, RISK_FACTORS, SOURCES, normalise_signals

# Invented narratives, different enough from each other to pass the leak checks.
TRAIN_1 = (
    "Jayden (9) arrived at school with a bruise on his left cheek and told his class teacher that his "
    "older brother had pushed him into a door at home last night. He said he felt scared to go home. "
    "DSL informed and referral made to children's social care."
)
TRAIN_2 = (
    "Ellie (15) reported missing from her foster placement after failing to return by the agreed time of "
    "2200hrs. Carers state she has been in contact with an older male she met online and has gone missing "
    "three times this month. Found next morning at a friend's address, she said she wanted to be left alone."
)
DEV_1 = (
    "Officers attended a report of a verbal argument between a married couple. Both parties calm on arrival, "
    "no injuries reported and no children living at the property. Advice given and the matter was recorded "
    "as a non crime domestic incident."
)
DEV_2 = (
    "Mother brought baby Amara (3/12) to the emergency department with a cough and mild fever. Baby alert "
    "and feeding well on examination, no marks seen. Discharged home with advice; health visitor to be "
    "updated as routine."
)


def rec(rid: str, text: str, source: str = "school", **labels: Any) -> Dict[str, Any]:
    return {"id": rid, "source": source, "text": text, "labels": normalise_signals(labels)}


def train_rows():
    return [
        rec("train-001", TRAIN_1, "school", children_present=True, injury=True, child_injury=True, child_voice=True,
            referral=True, domestic_abuse=False, child_ages=[9]),
        rec("train-002", TRAIN_2, "missing_report", children_present=True, missing_episode=True, child_voice=True,
            risk_factors=["looked_after", "online_contact", "repeat_missing", "risky_associates"], child_ages=[15]),
    ]


def dev_rows():
    return [
        rec("dev-001", DEV_1, "police_da", domestic_abuse=True),
        rec("dev-002", DEV_2, "health", children_present=True, child_voice=True, child_ages=[0]),
    ]


@pytest.fixture
def files(tmp_path: Path, write_jsonl):
    """Write ``train.jsonl`` and ``dev.jsonl`` (valid unless rows are given) and return their paths."""

    def make(train=None, dev=None):
        train_path = write_jsonl(tmp_path / "train.jsonl", train if train is not None else train_rows())
        dev_path = write_jsonl(tmp_path / "dev.jsonl", dev if dev is not None else dev_rows())
        return str(train_path), str(dev_path)

    return make


def only_problem(problems):
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# -- hand-made files -------------------------------------------------------


def test_valid_files_pass(files):
    assert check_files(files()) == []


def test_bad_json_names_the_line(files):
    dev = dev_rows()
    train, dev_path = files(dev=[dev[0], '{"id": "dev-002", "source": "health", "text": ', dev[1]])
    p = only_problem(check_files([train, dev_path]))
    assert (p.path, p.line, p.record_id) == (dev_path, 2, None)
    assert p.message.startswith("not valid JSON")
    assert str(p).startswith(f"{dev_path}:2: <no id>: not valid JSON")


def test_line_numbers_count_blank_lines(files):
    dev = dev_rows()
    dev[1]["source"] = "police"
    train, dev_path = files(dev=[dev[0], "", dev[1]])
    p = only_problem(check_files([train, dev_path]))
    assert (p.path, p.line, p.record_id) == (dev_path, 3, "dev-002")


def test_bad_source(files):
    dev = dev_rows()
    dev[1]["source"] = "police"
    train, dev_path = files(dev=dev)
    p = only_problem(check_files([train, dev_path]))
    assert (p.path, p.line, p.record_id) == (dev_path, 2, "dev-002")
    assert p.message.startswith("source 'police' is not one of police_da")
    assert str(p) == f"{dev_path}:2: dev-002: {p.message}"


def test_duplicate_id_across_files(files):
    dev = dev_rows()
    dev[1]["id"] = "train-001"
    train, dev_path = files(dev=dev)
    p = only_problem(check_files([train, dev_path]))
    assert (p.path, p.line, p.record_id) == (dev_path, 2, "train-001")
    assert p.message == f"duplicate id (first at {train}:1)"


def test_duplicate_id_within_a_file(files):
    train = train_rows()
    train[1]["id"] = "train-001"
    train_path, dev = files(train=train)
    p = only_problem(check_files([train_path, dev]))
    assert (p.path, p.line, p.record_id) == (train_path, 2, "train-001")
    assert p.message == f"duplicate id (first at {train_path}:1)"


def test_lacks_child_voice_wrong(files):
    dev = dev_rows()
    dev[1]["labels"]["lacks_child_voice"] = True  # child present but heard: must be false
    train, dev_path = files(dev=dev)
    p = only_problem(check_files([train, dev_path]))
    assert (p.path, p.line, p.record_id) == (dev_path, 2, "dev-002")
    assert p.message == "lacks_child_voice must equal children_present and not child_voice (expected false)"


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda r: r.pop("labels"), "missing key 'labels'"),
        (lambda r: r.update(annotator="x"), "unknown key(s): annotator"),
        (lambda r: r.update(text="   "), "text must be a non-empty string"),
        (lambda r: r["labels"].update(risk_factors=["grooming"]), "unknown risk factor(s): grooming"),
        (lambda r: r["labels"].update(child_ages=[19]), "child_ages must hold ages 0 to 17 only"),
    ],
    ids=["missing-key", "unknown-key", "blank-text", "bad-risk", "adult-age"],
)
def test_record_problems_carry_id_and_line(files, change, message):
    dev = dev_rows()
    change(dev[0])
    train, dev_path = files(dev=dev)
    p = only_problem(check_files([train, dev_path]))
    assert (p.path, p.line, p.record_id, p.message) == (dev_path, 1, "dev-001", message)


def test_unreadable_file_is_a_problem(files, tmp_path):
    train, dev = files()
    missing = str(tmp_path / "test.jsonl")
    p = only_problem(check_files([train, dev, missing]))
    assert (p.path, p.line) == (missing, 0)
    assert p.message.startswith("cannot read file")


def test_same_text_with_names_and_numbers_changed(files):
    leaked = TRAIN_1.replace("Jayden (9)", "Callum (11)")
    assert leaked != TRAIN_1
    dev = dev_rows() + [rec("dev-003", leaked, "school", children_present=True, child_voice=True)]
    train, dev_path = files(dev=dev)
    p = only_problem(check_files([train, dev_path]))
    assert (p.path, p.line, p.record_id) == (dev_path, 3, "dev-003")
    assert p.message == f"same text as train-001 ({train}:1) but for names and numbers"


def test_near_duplicate(files):
    near = TRAIN_2.replace("left alone.", "left in peace.")
    assert near != TRAIN_2
    dev = [rec("dev-009", near, "missing_report")] + dev_rows()
    train, dev_path = files(dev=dev)
    p = only_problem(check_files([train, dev_path]))
    assert (p.path, p.line, p.record_id) == (dev_path, 1, "dev-009")
    assert p.message.startswith(f"near-duplicate of train-002 ({train}:2), ")
    assert p.message.endswith("shared word triples")


def test_unrelated_texts_of_the_same_kind_are_not_near_duplicates(files):
    # Same opening, different story: well under the near-duplicate threshold.
    other = TRAIN_2.split(". ")[0] + ". Returned home the same evening by taxi, no concerns raised by parents."
    dev = dev_rows() + [rec("dev-003", other, "missing_report")]
    assert check_files(files(dev=dev)) == []


# -- the command -----------------------------------------------------------


def test_cli_valid_exits_zero(files, capsys):
    train, dev = files()
    assert cli.main(["corpus", "check", train, dev]) == 0
    out, err = capsys.readouterr()
    assert "corpus check: 2 file(s) OK" in out
    assert err == ""


def test_cli_invalid_exits_non_zero_with_message_on_stderr(files, capsys):
    dev = dev_rows()
    dev[1]["source"] = "police"
    train, dev_path = files(dev=dev)
    assert cli.main(["corpus", "check", train, dev_path]) != 0
    out, err = capsys.readouterr()
    assert f"{dev_path}:2: dev-002: source 'police' is not one of" in err
    assert "corpus check: 1 problem(s) in 2 file(s)" in err
    assert "OK" not in out


# -- the real corpora ------------------------------------------------------

SPLITS = ("train", "dev", "test")


@pytest.fixture(scope="module")
def corpora(root, corpus_reader):
    corpora = {split: corpus_reader(root / "corpora" / f"{split}.jsonl") for split in SPLITS}
    for split, records in corpora.items():  # the reader the library uses agrees
        assert len(records) == len(read_records(root / "corpora" / f"{split}.jsonl")), split
    return corpora


def test_real_corpora_pass_the_check(root):
    problems = check_files([root / "corpora" / f"{split}.jsonl" for split in SPLITS])
    assert [str(p) for p in problems] == []


def test_real_corpora_sizes(corpora):
    sizes = {split: len(records) for split, records in corpora.items()}
    assert sum(sizes.values()) >= 700, sizes
    assert sizes["dev"] >= 150, sizes
    assert sizes["test"] >= 150, sizes


def test_every_source_in_every_split(corpora):
    for split, records in corpora.items():
        assert set(SOURCES) <= {r["source"] for r in records}, split


@pytest.mark.parametrize("split", ["dev", "test"])
def test_enough_positives_per_signal(corpora, split):
    records = corpora[split]
    counts = Counter()
    for r in records:
        for name in BOOL_SIGNALS:
            counts[name] += bool(r["labels"][name])
        for cat in r["labels"]["risk_factors"]:
            counts[cat] += 1
    short = {name: counts[name] for name in BOOL_SIGNALS + RISK_FACTORS if counts[name] < 15}
    assert short == {}, f"{split}: fewer than 15 positive records"

