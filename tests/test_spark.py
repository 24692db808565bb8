"""Spark: the README's ``mapInPandas`` example gives ``annotate_frame``'s rows.

pyspark is not in the test extra (a 450 MB download and a JVM start-up), so
this test skips where pyspark is not installed, as in CI. By hand:

    pip install --target /tmp/sparklib pyspark py4j      # needs a Java runtime (17 works)
    PYTHONPATH=/tmp/sparklib .venv/bin/python -m pytest -q tests/test_spark.py
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("pyspark needs a Java runtime", allow_module_level=True)

import pandas as pd  # noqa: E402

import safeguard_nlp  # noqa: E402
from safeguard_nlp.batch import rows as R  # noqa: E402

from scan_support import MARK, records  # noqa: E402


def _plain(value):
    """A cell as plain Python: lists (NumPy arrays from Parquet) as lists, nulls as None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist") and getattr(value, "ndim", 0):
        return [_plain(v) for v in value]
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Spark's Python workers: this environment
    session = (SparkSession.builder.master("local[2]").appName("safeguard-nlp-test")
               .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    yield session
    session.stop()


def test_map_in_pandas_gives_annotate_frame_rows(spark, tmp_path, nlp):
    from safeguard_nlp.frame import SPARK_SCHEMA

    def signals(frames):  # the README's example (defined here so that Spark pickles it by value)
        import safeguard_nlp

        for frame in frames:
            yield safeguard_nlp.annotate_frame(frame, text_col="text", id_col="id")

    recs = records(60, seed=9, prefix="S")
    df = pd.DataFrame(recs)[["id", "date", "text"]]
    df.to_parquet(tmp_path / "incidents.parquet")
    sdf = spark.read.parquet(str(tmp_path / "incidents.parquet")).repartition(3)
    out = sdf.select("id", "text").mapInPandas(signals, schema=SPARK_SCHEMA)
    out.write.parquet(str(tmp_path / "signals"))

    got = pd.read_parquet(tmp_path / "signals").sort_values("id").reset_index(drop=True)
    want = safeguard_nlp.annotate_frame(df, text_col="text", id_col="id", nlp=nlp)
    want = want.sort_values("id").reset_index(drop=True)
    assert list(got.columns) == list(R.COLUMNS)
    assert got["id"].tolist() == want["id"].tolist()
    for col in R.COLUMNS:
        if col != "processed_at":
            assert [_plain(v) for v in got[col]] == [_plain(v) for v in want[col]], f"column {col} differs"
    assert not any(MARK in str(v) for v in got["evidence"].dropna())
