"""The ``safeguard-nlp`` command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _cmd_corpus_check(args: argparse.Namespace) -> int:
    from .corpus import check_files

    problems = check_files(args.files)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"corpus check: {len(problems)} problem(s) in {len(args.files)} file(s)", file=sys.stderr)
        return EXIT_FAILED
    print(f"corpus check: {len(args.files)} file(s) OK")
    return EXIT_OK


def _cmd_corpus_stats(args: argparse.Namespace) -> int:
    from .corpus import label_counts

    print(label_counts(args.files))
    return EXIT_OK


def _cmd_corpus_vocabulary(args: argparse.Namespace) -> int:
    from .vocabulary import write_bundled

    if any(Path(f).name.startswith("test") for f in args.files):
        print("corpus vocabulary: the test split never feeds the pipeline", file=sys.stderr)
        return EXIT_USAGE
    target, count = write_bundled(args.files, args.min_count)
    print(f"corpus vocabulary: wrote {count} words to {target}")
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    if args.compare is not None:
        return _cmd_evaluate_compare(args)
    from .evaluation import format_report, read_records
    from .evaluation.metrics import below_threshold
    from .pipeline import load

    nlp = load(args.model) if args.model else None
    from .evaluation import evaluate

    report = evaluate(read_records(args.file), nlp)
    if args.json:
        if not args.errors:
            report = {k: v for k, v in report.items() if k != "errors"}
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report, errors=args.errors))
    if args.min_f1 is not None:
        failing = below_threshold(report, args.min_f1)
        if failing:
            print(f"F1 below {args.min_f1}: {', '.join(failing)}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def _cmd_evaluate_compare(args: argparse.Namespace) -> int:
    """``evaluate --compare``: rules, model and combined side by side per signal."""
    from .evaluation import read_records
    from .learn import load_verified, repo_bundle_dir
    from .learn.bundle import BundleError
    from .learn.compare import combined_below, compare, format_compare, to_json
    from .pipeline import load

    nlp = load(args.model) if args.model else load()
    scorers = [nlp.get_pipe(n) for n in nlp.pipe_names if nlp.get_pipe_meta(n).factory == "safeguard_scores"]
    try:
        if args.compare or not scorers:
            models = load_verified(args.compare or repo_bundle_dir())
        else:
            models = scorers[0]._ready()
    except BundleError as exc:
        print(f"safeguard-nlp evaluate: {exc}", file=sys.stderr)
        return EXIT_FAILED
    report = compare(read_records(args.file), nlp, models)
    if args.json:
        print(to_json(report))
    else:
        print(format_compare(report, title=f"{args.file}: rules / model / combined"))
    if args.min_f1 is not None:
        failing = combined_below(report, args.min_f1)
        if failing:
            print(f"combined F1 below {args.min_f1}: {', '.join(failing)}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def _cmd_train(args: argparse.Namespace) -> int:
    from .evaluation import read_records
    from .learn import repo_bundle_dir, repo_scored_dir
    from .learn.compare import format_compare
    from .learn.train import TrainConfig, save_scored_pipeline, train

    corpora = Path(__file__).resolve().parents[2] / "corpora"
    paths = {"train": args.train or corpora / "train.jsonl", "dev": args.dev or corpora / "dev.jsonl"}
    if not args.no_test:
        paths["test"] = args.test or corpora / "test.jsonl"
    for split, path in paths.items():
        if not Path(path).is_file():
            print(f"safeguard-nlp train: no {split} file {path}", file=sys.stderr)
            return EXIT_USAGE
    config = TrainConfig(min_gain=args.min_gain, n_jobs=args.jobs)
    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    trained = train(read_records(paths["train"]), read_records(paths["dev"]),
                    read_records(paths["test"]) if "test" in paths else None,
                    config=config, data_names={k: str(v) for k, v in paths.items()}, log=log)
    bundle_dir = Path(args.output) if args.output else repo_bundle_dir()
    trained.models.write(bundle_dir)
    print(format_compare(trained.dev_report, title="dev (every choice made here): rules / model / combined"))
    print(f"\nsaved the models to {bundle_dir} (manifest sha256 {trained.models.manifest_sha256})")
    if not args.no_pipeline:
        scored_dir = Path(args.pipeline_output) if args.pipeline_output else repo_scored_dir()
        checksum = save_scored_pipeline(trained.models, scored_dir)
        print(f"saved the scored pipeline to {scored_dir} (sha256 {checksum}); use it with "
              f"safeguard_nlp.load({str(scored_dir)!r}) or --model {scored_dir}")
    if "test" in paths:
        print(f"test metrics recorded in {bundle_dir / 'manifest.json'}; "
              f"see them with `safeguard-nlp evaluate {paths['test']} --compare`")
    return EXIT_OK


def _cmd_build_model(args: argparse.Namespace) -> int:
    from .pipeline import build, repo_model_dir, save

    target = Path(args.output) if args.output else repo_model_dir()
    checksum = save(build(), target)
    print(f"saved pipeline to {target} (sha256 {checksum})")
    return EXIT_OK


def _cmd_analyse(args: argparse.Namespace) -> int:
    from .api import explain
    from .pipeline import load

    nlp = load(args.model) if args.model else None
    text = Path(args.file).read_text(encoding="utf-8") if args.file and args.file != "-" else sys.stdin.read()
    result = explain(text, nlp)
    if not args.evidence:
        result = {"signals": result["signals"], "status": result["status"]}
    print(json.dumps(result, indent=2))
    return EXIT_OK


EXIT_QUARANTINED = 3

SCAN_EPILOG = """\
exit status:
  0  every record was processed (status ok or empty)
  3  the scan finished but some records were quarantined (see the quarantine file or table)
  1  the job failed (source or destination unreadable, source changed under a resumed scan,
     a worker died); re-run the same command to resume from the last completed chunk
  2  usage error (bad arguments, missing column, or an interrupted scan of the same
     destination with other arguments: finish it or add --restart)
  130 interrupted (Ctrl-C); re-run the same command to resume

examples:
  safeguard-nlp scan corpora/demo/incidents.csv -o signals.parquet
  safeguard-nlp scan 'exports/*.jsonl' -o signals.csv --workers 2
  safeguard-nlp scan sqlite:///demo.db --table incidents --date-col date --since 2024-10-01 \\
      -o sqlite:///demo.db --output-table signals
  safeguard-nlp scan postgresql+psycopg://user@host/records --query "SELECT ref, narrative FROM logs" \\
      --id-col ref --text-col narrative -o signals.parquet
"""


def _cmd_scan(args: argparse.Namespace) -> int:
    import logging

    from .batch.scan import ScanOptions, run_cli

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    options = ScanOptions(
        source=args.source, dest=args.output, table=args.table, query=args.query, format=args.format,
        id_col=args.id_col, text_col=args.text_col, date_col=args.date_col, since=args.since,
        output_format=args.output_format, output_table=args.output_table, quarantine=args.quarantine,
        workers=args.workers, chunk_size=args.chunk_size, max_chars=args.max_chars, with_snippets=args.with_snippets,
        evidence=args.evidence, model=args.model, state_dir=args.state_dir, restart=args.restart,
        progress=False if args.no_progress else None,
    )
    if getattr(args, "scheduler", None):
        from .dask import run_cli as run_on_dask

        return run_on_dask(options, args.scheduler)
    return run_cli(options)


def _cmd_demo_generate(args: argparse.Namespace) -> int:
    from . import demo

    n = demo.write(args.output, count=args.count, seed=args.seed)
    print(f"wrote {n} invented records to {args.output}", file=sys.stderr)
    return EXIT_OK


def _cmd_demo_sqlite(args: argparse.Namespace) -> int:
    from . import demo

    try:
        n = demo.to_sqlite(args.csv, args.output, table=args.table)
    except (OSError, ValueError) as exc:
        print(f"safeguard-nlp demo sqlite: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"copied {n} records to table {args.table} of {args.output} (URL sqlite:///{args.output})", file=sys.stderr)
    return EXIT_OK


def _add_scan_parser(sub) -> None:
    from .batch.process import DEFAULT_MAX_CHARS
    from .batch.scan import DEFAULT_CHUNK_SIZE
    from .batch.sinks import DEFAULT_OUTPUT_TABLE

    sc = sub.add_parser(
        "scan", help="scan a record system (files or a database) into a table of signals, resumably",
        description="Scan every narrative of a record system and write one row per record: its id, every signal of "
                    "SIGNALS.md, the raised flags, the evidence as JSON, a status (ok, empty, quarantined), the "
                    "pipeline version, the model checksum and the processing time. No narrative text is written "
                    "unless --with-snippets is given. Killed at any point, the same command resumes where it stopped.",
        epilog=SCAN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sc.add_argument("source", help="a CSV, JSON Lines or Parquet file, a folder of them, a glob pattern, "
                                   "or a SQLAlchemy database URL (with --table or --query)")
    sc.add_argument("-o", "--output", required=True,
                    help="a .csv, .jsonl or .parquet file, or a database URL (rows upserted on id into --output-table)")
    src = sc.add_argument_group("source")
    which = src.add_mutually_exclusive_group()
    which.add_argument("--table", help="the database table to read")
    which.add_argument("--query", help="a SELECT to read instead of a table (read in id order)")
    src.add_argument("--format", choices=("csv", "jsonl", "parquet"), help="file format (default: from the file name)")
    src.add_argument("--id-col", default="id", help="the record id column (default: id); ids should be unique")
    src.add_argument("--text-col", default="text", help="the narrative column (default: text)")
    src.add_argument("--date-col", default=None, help="the record date column (copied to record_date; needed by --since)")
    src.add_argument("--since", default=None, metavar="DATE",
                     help="only records dated on or after DATE (ISO 8601), for incremental scans")
    out = sc.add_argument_group("output")
    out.add_argument("--output-format", choices=("csv", "jsonl", "parquet"), help="file format (default: from the name)")
    out.add_argument("--output-table", default=None, help=f"table for a database output (default: {DEFAULT_OUTPUT_TABLE})")
    out.add_argument("--quarantine", default=None, metavar="PATH_OR_TABLE",
                     help="where quarantined records are listed with the reason (default: OUTPUT.quarantine.EXT "
                          "beside a file output, TABLE_quarantine in a database)")
    out.add_argument("--with-snippets", action="store_true",
                     help="include narrative text: each evidence span with its context, and the start of quarantined records")
    out.add_argument("--evidence", choices=("accepted", "all", "none"), default="accepted",
                     help="evidence per record: the spans behind raised signals (default), every span weighed, or none")
    run = sc.add_argument_group("running")
    run.add_argument("--workers", type=int, default=1, help="processes to run the pipeline in (default: 1, in this process)")
    run.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                     help=f"records per chunk, the unit of work and of resumption (default: {DEFAULT_CHUNK_SIZE})")
    run.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS,
                     help=f"quarantine narratives longer than this (default: {DEFAULT_MAX_CHARS:,})")
    run.add_argument("--model", default=None, help="saved pipeline to use (default: the bundled one)")
    run.add_argument("--state-dir", default=None, help="resume state of a file output (default: OUTPUT.scan-state)")
    run.add_argument("--restart", action="store_true", help="discard the state of an interrupted scan and start afresh")
    run.add_argument("--no-progress", action="store_true", help="no progress bar (there is none when stderr is not a terminal)")
    run.add_argument("--scheduler", default=None, metavar="ADDRESS",
                     help="run on the Dask distributed cluster whose scheduler is ADDRESS (tcp://host:8786; needs "
                          "the dask extra on the client and the workers, which must see the same files): reads CSV, "
                          "JSON Lines or Parquet files, writes -o OUT.parquet as a folder of Parquet parts with the "
                          "rows of a local scan; --chunk-size records per partition; it does not resume (re-run it "
                          "from the start after an interruption)")
    run.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    sc.set_defaults(func=_cmd_scan)


def _add_demo_parser(sub) -> None:
    from .demo import DEFAULT_COUNT, DEFAULT_SEED

    dm = sub.add_parser("demo", help="invented incident records for trying the scanner")
    dm_sub = dm.add_subparsers(dest="demo_command", required=True)
    gen = dm_sub.add_parser("generate", help="write invented records (id, date, source, text), deterministic for a seed")
    gen.add_argument("-o", "--output", default="corpora/demo/incidents.csv", help="a .csv, .jsonl or .parquet file "
                                                                                  "(default: corpora/demo/incidents.csv)")
    gen.add_argument("-n", "--count", type=int, default=DEFAULT_COUNT, help=f"how many (default: {DEFAULT_COUNT})")
    gen.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    gen.set_defaults(func=_cmd_demo_generate)
    sq = dm_sub.add_parser("sqlite", help="copy a CSV of records into a SQLite table (replacing it)")
    sq.add_argument("csv", nargs="?", default="corpora/demo/incidents.csv",
                    help="the CSV to copy (default: corpora/demo/incidents.csv)")
    sq.add_argument("-o", "--output", required=True, help="the SQLite database file")
    sq.add_argument("--table", default="incidents", help="table name (default: incidents)")
    sq.set_defaults(func=_cmd_demo_sqlite)


REPORT_EPILOG = """\
exit status: 0 written; 1 the results could not be read or the report not written; 2 usage error

examples:
  safeguard-nlp report out/demo_scan.parquet -o out/report.html
  safeguard-nlp report out/demo_scan.parquet -o out/report.html --records corpora/demo/incidents.csv --group-col source
  safeguard-nlp report sqlite:///out/demo.db --table signals -o out/report.html
"""


def _cmd_report(args: argparse.Namespace) -> int:
    from .batch.errors import ScanError, UsageError
    from .report import write_report

    risks = [c.strip() for c in args.high_risk.split(",") if c.strip()] if args.high_risk else None
    if args.max_listed < 0:
        print("safeguard-nlp report: --max-listed must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    try:
        target = write_report(args.results, args.output, table=args.table, fmt=args.format, records=args.records,
                              records_table=args.records_table, group_col=args.group_col, id_col=args.id_col,
                              high_risk=risks, max_listed=args.max_listed, title=args.title)
    except (UsageError, ValueError) as exc:
        print(f"safeguard-nlp report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ScanError, OSError) as exc:
        print(f"safeguard-nlp report: failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {target}", file=sys.stderr)
    return EXIT_OK


def _add_report_parser(sub) -> None:
    rp = sub.add_parser(
        "report", help="a self-contained HTML audit report of a scan's output",
        description="Read the output of safeguard-nlp scan (CSV, JSON Lines, Parquet, or a database table) and write "
                    "one self-contained HTML file (no script, no network fetch): headline figures with sample sizes, "
                    "flag rates with charts, the records lacking the child's voice and the missing-child episodes "
                    "with risk factors, each with its evidence (offsets and rule ids; narrative snippets only when "
                    "the scan was run with --with-snippets).",
        epilog=REPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rp.add_argument("results", help="the scan output: a .csv, .jsonl or .parquet file (or a folder or glob of them), "
                                    "or a database URL with --table")
    rp.add_argument("-o", "--output", required=True, help="the HTML file to write")
    rp.add_argument("--table", default=None, help="the table of a database URL (default: safeguard_signals)")
    rp.add_argument("--format", choices=("csv", "jsonl", "parquet"), default=None,
                    help="file format of RESULTS (default: from the file name)")
    rp.add_argument("--records", default=None, metavar="INPUT",
                    help="the scan's input (a file, or a database URL with --records-table), to break the figures "
                         "down by --group-col, joined on the record id")
    rp.add_argument("--records-table", default=None, help="the table of a database URL given to --records")
    rp.add_argument("--group-col", default="source", help="the column of --records to group by (default: source)")
    rp.add_argument("--id-col", default="id", help="the record id column of --records (default: id)")
    rp.add_argument("--high-risk", default=None, metavar="CATEGORIES",
                    help="comma-separated risk factors that put a missing-child episode on the list (default: any)")
    rp.add_argument("--max-listed", type=int, default=500, help="most records in each list (default: 500)")
    rp.add_argument("--title", default="Safeguarding audit report", help="the report's title")
    rp.set_defaults(func=_cmd_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safeguard-nlp", description="Safeguarding signals, with evidence, from incident narratives.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command")

    corpus = sub.add_parser("corpus", help="check annotated corpus files or count their labels")
    corpus_sub = corpus.add_subparsers(dest="corpus_command", required=True)
    check = corpus_sub.add_parser("check", help="validate corpus files (schema, ids, cross-split duplicates)")
    check.add_argument("files", nargs="+")
    check.set_defaults(func=_cmd_corpus_check)
    stats = corpus_sub.add_parser("stats", help="print a Markdown table of label counts per file")
    stats.add_argument("files", nargs="+")
    stats.set_defaults(func=_cmd_corpus_stats)
    vocab = corpus_sub.add_parser("vocabulary", help="rewrite the word list the pipeline warms its tokenizer with, from train/dev corpus files")
    vocab.add_argument("files", nargs="+")
    vocab.add_argument("--min-count", type=int, default=2)
    vocab.set_defaults(func=_cmd_corpus_vocabulary)

    ev = sub.add_parser("evaluate", help="score the pipeline on an annotated JSONL file")
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--errors", action="store_true", help="list each wrong record with its evidence")
    ev.add_argument("--min-f1", type=float, default=None, help="exit 1 when a core signal's F1 is below this")
    ev.add_argument("--model", default=None, help="saved pipeline to use (default: models/safeguard_pipeline)")
    ev.add_argument("--compare", nargs="?", const="", default=None, metavar="BUNDLE",
                    help="show rules, model and combined side by side per signal; the models are BUNDLE, else those "
                         "of a --model pipeline that carries them, else models/signal_models")
    ev.set_defaults(func=_cmd_evaluate)

    tr = sub.add_parser("train", help="fit a scikit-learn model per signal and risk factor; choose on dev; save under models/",
                        description="Fit on the train split a calibrated model per signal and risk-factor category "
                                    "(text n-grams and the rules' spans as features); choose C and each signal's "
                                    "decision rule (rules, model, or, and) on dev only; score test last, for the "
                                    "manifest. Same data, same files.")
    tr.add_argument("--train", default=None, help="training records (default: corpora/train.jsonl)")
    tr.add_argument("--dev", default=None, help="records every choice is made on (default: corpora/dev.jsonl)")
    tr.add_argument("--test", default=None, help="held-out records, scored once for the manifest (default: corpora/test.jsonl)")
    tr.add_argument("--no-test", action="store_true", help="do not score a test split")
    tr.add_argument("-o", "--output", default=None, help="bundle folder (default: models/signal_models)")
    tr.add_argument("--pipeline-output", default=None,
                    help="where to save the rule pipeline with the scores (default: models/safeguard_pipeline_scored)")
    tr.add_argument("--no-pipeline", action="store_true", help="save the bundle only")
    tr.add_argument("--min-gain", type=float, default=0.01,
                    help="dev F1 a decision rule must gain over the rules alone to replace them (default: 0.01)")
    tr.add_argument("--jobs", type=int, default=1, help="processes fitting in parallel (default: 1; the files do not depend on it)")
    tr.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    tr.set_defaults(func=_cmd_train)

    bm = sub.add_parser("build-model", help="assemble the pipeline from the bundled rules and save it")
    bm.add_argument("-o", "--output", default=None, help="folder to save to (default: models/safeguard_pipeline)")
    bm.set_defaults(func=_cmd_build_model)

    an = sub.add_parser("analyse", help="signals (and evidence) for one narrative from a file or stdin")
    an.add_argument("file", nargs="?", default="-")
    an.add_argument("--evidence", action="store_true", help="include the evidence")
    an.add_argument("--model", default=None)
    an.set_defaults(func=_cmd_analyse)

    _add_scan_parser(sub)
    _add_demo_parser(sub)
    _add_report_parser(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__

        print(__version__)
        return EXIT_OK
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
