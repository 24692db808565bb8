"""Scoring the pipeline against annotated records."""

from .metrics import evaluate, format_report, read_records

__all__ = ["evaluate", "format_report", "read_records"]
