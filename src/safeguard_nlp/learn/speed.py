"""Throughput with and without the scores component, on one core.

    python -m safeguard_nlp.learn.speed [--n 10000] [--texts FILE.jsonl|FILE.csv] [--scored models/safeguard_pipeline_scored]

Texts are the corpora's (train, dev and test, repeated to ``--n``) unless a
file is given. Reports records per CPU-second (one process, one core) of the rule
pipeline, of the scored pipeline, and of the scores component alone (docs
already through the rules), best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path
from typing import List, Optional


def _texts(path: Optional[str], n: int) -> List[str]:
    if path:
        p = Path(path)
        if p.suffix == ".csv":
            with open(p, encoding="utf-8", newline="") as fh:
                texts = [row["text"] for row in csv.DictReader(fh)]
        else:
            texts = [json.loads(line)["text"] for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        root = Path(__file__).resolve().parents[3] / "corpora"
        texts = [json.loads(line)["text"] for split in ("train", "dev", "test")
                 for line in (root / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    out = []
    while len(out) < n:
        out.extend(texts)
    return out[:n]


def main(argv=None) -> int:
    from .. import pipeline
    from . import repo_scored_dir

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--texts", default=None)
    ap.add_argument("--scored", default=None, help="scored pipeline (default: models/safeguard_pipeline_scored)")
    ap.add_argument("--rules", default=None,
                    help="rule pipeline (default: the scored pipeline with its scores component disabled, so the rules are the same)")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)

    texts = _texts(args.texts, args.n)
    scored = pipeline.load(args.scored or repo_scored_dir())
    rules = pipeline.load(args.rules) if args.rules else pipeline.load(args.scored or repo_scored_dir())
    if not args.rules:
        rules.disable_pipe("safeguard_scores")
    scorer = scored.get_pipe("safeguard_scores")

    def rate(fn) -> float:
        # CPU time of this process: on a shared machine, wall time measures the neighbours too.
        best = float("inf")
        for _ in range(args.repeat):
            start = time.process_time()
            fn()
            best = min(best, time.process_time() - start)
        return len(texts) / best

    list(rules.pipe(texts[:500], batch_size=args.batch_size))
    list(scored.pipe(texts[:500], batch_size=args.batch_size))
    r_rules = rate(lambda: [None for _ in rules.pipe(texts, batch_size=args.batch_size)])
    r_scored = rate(lambda: [None for _ in scored.pipe(texts, batch_size=args.batch_size)])
    with scored.select_pipes(disable=["safeguard_scores"]):
        docs = list(scored.pipe(texts, batch_size=args.batch_size))
    r_component = rate(lambda: [None for _ in scorer.pipe(iter(docs), batch_size=args.batch_size)])
    print(json.dumps({
        "records": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts), 1), "batch_size": args.batch_size,
        "rules_records_per_cpu_s": round(r_rules), "scored_records_per_cpu_s": round(r_scored),
        "scores_component_alone_records_per_cpu_s": round(r_component),
        "scores_ms_per_record": round(1000 / r_component, 4),
    }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
