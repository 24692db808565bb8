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


def _cmd_evaluate(args: argparse.Namespace) -> int:
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

    ev = sub.add_parser("evaluate", help="score the pipeline on an annotated JSONL file")
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--errors", action="store_true", help="list each wrong record with its evidence")
    ev.add_argument("--min-f1", type=float, default=None, help="exit 1 when a core signal's F1 is below this")
    ev.add_argument("--model", default=None, help="saved pipeline to use (default: models/safeguard_pipeline)")
    ev.set_defaults(func=_cmd_evaluate)

    bm = sub.add_parser("build-model", help="assemble the pipeline from the bundled rules and save it")
    bm.add_argument("-o", "--output", default=None, help="folder to save to (default: models/safeguard_pipeline)")
    bm.set_defaults(func=_cmd_build_model)

    an = sub.add_parser("analyse", help="signals (and evidence) for one narrative from a file or stdin")
    an.add_argument("file", nargs="?", default="-")
    an.add_argument("--evidence", action="store_true", help="include the evidence")
    an.add_argument("--model", default=None)
    an.set_defaults(func=_cmd_analyse)
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
