"""The signal contract in code: field lists, empty and normalised signals, label validation."""

from __future__ import annotations

import copy

import pytest

from safeguard_nlp.schema import (
    BOOL_SIGNALS,
    CORE_SIGNALS,
    RISK_FACTORS,
    SIGNAL_FIELDS,
    SOURCES,
    empty_signals,
    normalise_signals,
    validate_labels,
)


def valid_labels(**changes):
    """A consistent label set (child present and heard, injured, referred), with ``changes`` applied."""
    labels = {
        "children_present": True,
        "injury": True,
        "child_injury": True,
        "missing_episode": False,
        "risk_factors": ["looked_after", "mental_health"],
        "child_voice": True,
        "lacks_child_voice": False,
        "domestic_abuse": True,
        "referral": True,
        "child_ages": [0, 4, 4, 17],
    }
    labels.update(changes)
    return labels


# -- the field lists -----------------------------------------------------


def test_field_lists_are_consistent():
    assert len(RISK_FACTORS) == 9 and len(set(RISK_FACTORS)) == 9
    assert len(set(SIGNAL_FIELDS)) == len(SIGNAL_FIELDS)
    assert set(SIGNAL_FIELDS) == set(BOOL_SIGNALS) | {"risk_factors", "child_ages"}
    assert set(CORE_SIGNALS) <= set(BOOL_SIGNALS)
    assert set(SOURCES) == {"police_da", "police_incident", "missing_report", "social_care", "school", "health"}


# -- empty_signals and normalise_signals ----------------------------------


def test_empty_signals_shape():
    empty = empty_signals()
    assert list(empty) == list(SIGNAL_FIELDS)
    for name in BOOL_SIGNALS:
        assert empty[name] is False, name
    assert empty["risk_factors"] == [] and empty["child_ages"] == []
    assert validate_labels(empty) == []


def test_empty_signals_is_a_fresh_object_each_time():
    first = empty_signals()
    first["risk_factors"].append("looked_after")
    first["injury"] = True
    second = empty_signals()
    assert second["risk_factors"] == [] and second["injury"] is False


def test_normalise_signals_canonical_form():
    raw = {
        "child_ages": [7, "4", 4.0],
        "risk_factors": ["mental_health", "looked_after", "mental_health"],
        "referral": 1,
        "children_present": "yes",
        "child_voice": 0,
        "lacks_child_voice": False,  # wrong: derived from the two above
    }
    out = normalise_signals(raw)
    assert list(out) == list(SIGNAL_FIELDS)
    assert out["child_ages"] == [4, 4, 7]
    assert all(type(a) is int for a in out["child_ages"])
    assert out["risk_factors"] == ["looked_after", "mental_health"]
    assert out["referral"] is True and out["children_present"] is True and out["child_voice"] is False
    assert out["lacks_child_voice"] is True
    for name in ("injury", "child_injury", "missing_episode", "domestic_abuse"):
        assert out[name] is False, name
    assert validate_labels(out) == []


def test_normalise_signals_derives_lacks_child_voice_false():
    assert normalise_signals({"lacks_child_voice": True})["lacks_child_voice"] is False
    assert normalise_signals({"children_present": True, "child_voice": True, "lacks_child_voice": True})[
        "lacks_child_voice"
    ] is False


def test_normalise_signals_of_empty_and_of_none_lists():
    assert normalise_signals({}) == empty_signals()
    assert normalise_signals({"risk_factors": None, "child_ages": None}) == empty_signals()
    assert normalise_signals(empty_signals()) == empty_signals()


def test_normalise_signals_does_not_modify_its_input():
    raw = {"child_ages": [7, 4], "risk_factors": ["mental_health", "looked_after"]}
    before = copy.deepcopy(raw)
    normalise_signals(raw)
    assert raw == before


# -- validate_labels -------------------------------------------------------


def test_valid_labels_have_no_problems():
    assert validate_labels(valid_labels()) == []
    assert validate_labels(valid_labels(children_present=False, child_voice=False, lacks_child_voice=False)) == []
    assert validate_labels(valid_labels(child_voice=False, lacks_child_voice=True)) == []
    assert validate_labels(valid_labels(child_ages=[], risk_factors=[])) == []
    assert validate_labels(valid_labels(risk_factors=sorted(RISK_FACTORS))) == []


@pytest.mark.parametrize("value", [None, [], "labels", 3])
def test_labels_must_be_an_object(value):
    assert validate_labels(value) == ["labels must be an object"]


@pytest.mark.parametrize("field", SIGNAL_FIELDS)
def test_missing_field(field):
    labels = valid_labels()
    del labels[field]
    problems = validate_labels(labels)
    assert problems, field
    assert problems[0] == f"labels missing field(s): {field}"
    assert len(problems) == 1, problems


def test_missing_fields_are_all_named():
    labels = valid_labels()
    del labels["injury"], labels["referral"]
    assert validate_labels(labels) == ["labels missing field(s): injury, referral"]


def test_unknown_field():
    assert validate_labels(valid_labels(child_names=["x"])) == ["labels has unknown field(s): child_names"]


@pytest.mark.parametrize("field", BOOL_SIGNALS)
@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_non_bool_signal(field, value):
    problems = validate_labels(valid_labels(**{field: value}))
    assert problems == [f"{field} must be true or false, got {value!r}"]


def test_unknown_risk_category():
    assert validate_labels(valid_labels(risk_factors=["grooming", "looked_after"])) == [
        "unknown risk factor(s): grooming"
    ]


@pytest.mark.parametrize("value", ["looked_after", [1], None, {"looked_after": True}])
def test_risk_factors_must_be_a_list_of_names(value):
    assert validate_labels(valid_labels(risk_factors=value)) == ["risk_factors must be a list of category names"]


@pytest.mark.parametrize(
    "value", [["mental_health", "looked_after"], ["looked_after", "looked_after"]], ids=["unsorted", "repeated"]
)
def test_risk_factors_sorted_without_repeats(value):
    assert validate_labels(valid_labels(risk_factors=value)) == ["risk_factors must be sorted and without repeats"]


def test_child_ages_must_be_sorted():
    assert validate_labels(valid_labels(child_ages=[7, 4])) == ["child_ages must be sorted"]


@pytest.mark.parametrize("ages", [[18], [4, 18], [-1], [-1, 3], [120]])
def test_child_ages_out_of_range(ages):
    assert validate_labels(valid_labels(child_ages=ages)) == ["child_ages must hold ages 0 to 17 only"]


def test_child_ages_boundaries_are_valid():
    assert validate_labels(valid_labels(child_ages=[0])) == []
    assert validate_labels(valid_labels(child_ages=[17])) == []


@pytest.mark.parametrize("ages", [[4.5], ["4"], [True], "4", None, [None]])
def test_child_ages_must_be_whole_numbers(ages):
    assert validate_labels(valid_labels(child_ages=ages)) == ["child_ages must be a list of whole numbers"]


@pytest.mark.parametrize(
    "present,voice,lacks,expected",
    [(True, False, False, "true"), (False, False, True, "false"), (True, True, True, "false"), (False, True, True, "false")],
)
def test_lacks_child_voice_inconsistent(present, voice, lacks, expected):
    labels = valid_labels(children_present=present, child_voice=voice, lacks_child_voice=lacks)
    assert validate_labels(labels) == [
        f"lacks_child_voice must equal children_present and not child_voice (expected {expected})"
    ]


def test_child_injury_without_injury():
    assert validate_labels(valid_labels(injury=False)) == ["child_injury is true but injury is false"]
    assert validate_labels(valid_labels(injury=False, child_injury=False)) == []


def test_several_problems_are_all_reported():
    labels = valid_labels(injury=False, child_ages=[9, 30], risk_factors=["grooming"], extra=1)
    problems = validate_labels(labels)
    assert "labels has unknown field(s): extra" in problems
    assert "child_injury is true but injury is false" in problems
    assert "child_ages must be sorted" not in problems
    assert "child_ages must hold ages 0 to 17 only" in problems
    assert "unknown risk factor(s): grooming" in problems
    assert len(problems) == 4

