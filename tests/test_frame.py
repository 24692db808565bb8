"""annotate_frame: the scan's columns for a pandas DataFrame, partition by partition."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import safeguard_nlp
from safeguard_nlp import annotate_frame
from safeguard_nlp.batch import COLUMNS, ScanOptions, scan
from safeguard_nlp.frame import SPARK_SCHEMA, frame_meta
from safeguard_nlp.schema import SIGNAL_FIELDS

from scan_support import MARK, load_output, records, write_csv

N = 60


@pytest.fixture(scope="module")
def df():
    return pd.DataFrame(records(N, seed=5)).set_index(pd.Index(range(1000, 1000 + N), name="row"))


@pytest.fixture(scope="module")
def out(df, nlp):
    return annotate_frame(df, text_col="text", id_col="id", date_col="date", nlp=nlp)


def canonical(frame: pd.DataFrame):
    """The frame's rows as plain Python values (NA as None, lists as lists), without processed_at."""
    rows = []
    for rec in frame.drop(columns="processed_at").astype(object).to_dict("records"):
        rows.append({k: (None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else
                         [int(x) if k == "child_ages" else x for x in v] if isinstance(v, (list, np.ndarray)) else v)
                     for k, v in rec.items()})
    return rows


def test_columns_and_index(df, out):
    assert list(out.columns) == list(COLUMNS)
    assert out.index.equals(df.index)
    assert list(out["id"]) == list(df["id"])
    assert list(out["record_date"]) == list(df["date"])


def test_signals_equal_annotate(df, out, nlp):
    results = list(safeguard_nlp.annotate(df["text"].tolist(), nlp))
    for (_, row), res in zip(out.iterrows(), results):
        assert row["status"] == res["status"], row["id"]
        for field in SIGNAL_FIELDS:
            value = row[field]
            assert (list(value) if isinstance(value, list) else bool(value)) == res["signals"][field], (row["id"], field)


def test_same_rows_as_a_scan_of_the_same_records(df, out, tmp_path):
    src = write_csv(tmp_path / "in.csv", df.to_dict("records"))
    dest = tmp_path / "out.parquet"
    scan(ScanOptions(source=str(src), dest=str(dest), date_col="date", progress=False))
    assert canonical(out) == load_output(str(dest))


def test_dtypes_are_stable_and_match_the_meta(df, out, nlp):
    meta = frame_meta()
    assert list(meta.columns) == list(out.columns)
    assert dict(meta.dtypes) == dict(out.dtypes)
    odd = pd.DataFrame({"text": [None, b"\xff\xfe", "Chn present."]})
    assert dict(annotate_frame(odd, nlp=nlp).dtypes) == dict(meta.dtypes)
    empty = annotate_frame(df.iloc[:0], id_col="id", nlp=nlp)
    assert empty.empty and dict(empty.dtypes) == dict(meta.dtypes)
    assert str(out["processed_at"].dtype) == "datetime64[us, UTC]"


def test_partitions_give_the_whole(df, out, nlp):
    """What dask's map_partitions or Spark's mapInPandas do: the parts concatenated equal the whole."""
    parts = [annotate_frame(part, "text", "id", date_col="date", nlp=nlp) for part in (df.iloc[i:i + 16] for i in range(0, N, 16))]
    assert canonical(pd.concat(parts)) == canonical(out)


def test_ids_from_the_index_as_text(nlp):
    frame = pd.DataFrame({"text": ["Chn (4) present.", "No children."]}, index=[17, 18])
    result = annotate_frame(frame, nlp=nlp)
    assert list(result["id"]) == ["17", "18"]
    assert result["record_date"].isna().all()


def test_bad_values_never_stop_the_frame(nlp):
    frame = pd.DataFrame({"id": ["a", "b", "c", "d", "e", "f", None],
                          "text": [None, float("nan"), "  ", b"Chn (6) present.", b"bad \xff", "x" * 200, "Chn present."]})
    result = annotate_frame(frame, id_col="id", nlp=nlp, max_chars=100)
    assert list(result["status"]) == ["empty", "empty", "empty", "ok", "quarantined", "quarantined", "quarantined"]
    assert list(result["status_reason"][4:]) == ["not valid UTF-8", "longer than 100 characters (200)", "no record id"]
    assert result.loc[4, "children_present"] is pd.NA
    assert result.loc[3, "child_ages"] == [6]
    assert result.loc[6, "id"] == "#6"


def test_no_text_unless_snippets(df, nlp):
    plain = annotate_frame(df, "text", "id", nlp=nlp, evidence="all")
    assert MARK not in plain.to_json(date_format="iso")
    snip = annotate_frame(df, "text", "id", nlp=nlp, with_snippets=True)
    for (_, row), text in zip(snip.iterrows(), df["text"]):
        for items in json.loads(row["evidence"]).values():
            for item in items:
                if "start" in item:
                    assert item["text"] == text[item["start"]:item["end"]], row["id"]
    assert annotate_frame(df, "text", "id", nlp=nlp, evidence="none")["evidence"].isna().all()


def test_errors_name_the_missing_column(df):
    with pytest.raises(KeyError, match="no text column 'narrative'"):
        annotate_frame(df, text_col="narrative")
    with pytest.raises(TypeError, match="DataFrame"):
        annotate_frame([{"text": "x"}])


def test_spark_schema_lists_every_column():
    names = [part.strip().split(" ")[0] for part in SPARK_SCHEMA.split(",")]
    assert names == list(COLUMNS)
    assert "risk_factors array<string>" in SPARK_SCHEMA and "processed_at timestamp" in SPARK_SCHEMA
