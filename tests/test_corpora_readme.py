"""corpora/README.md's label table is the one `corpus stats` prints, not typed by hand."""

from pathlib import Path

from safeguard_nlp.corpus import label_counts

ROOT = Path(__file__).resolve().parents[1]


def test_label_table_is_regenerated():
    files = [ROOT / "corpora" / f"{split}.jsonl" for split in ("train", "dev", "test")]
    table = label_counts(files)
    readme = (ROOT / "corpora" / "README.md").read_text(encoding="utf-8")
    assert table in readme, "run: safeguard-nlp corpus stats corpora/train.jsonl corpora/dev.jsonl corpora/test.jsonl"
