"""Batch scanning of record systems: ``safeguard-nlp scan`` and its parts.

* :mod:`.sources` reads CSV, JSON Lines and Parquet files and SQL databases in chunks;
* :mod:`.process` checks records and runs the pipeline on them;
* :mod:`.rows` turns a result into a flat row (the columns of every output);
* :mod:`.sinks` writes files and database tables (CSV escaping, upsert);
* :mod:`.checkpoint` keeps the resume state;
* :mod:`.scan` runs the whole, in parallel and resumably.
"""

from __future__ import annotations

from .errors import ScanError, SourceChangedError, StateMismatchError, UsageError
from .process import WarmPipeline
from .rows import COLUMNS, QUARANTINE_COLUMNS, SPARK_SCHEMA
from .scan import EXIT_FAILED, EXIT_OK, EXIT_QUARANTINED, EXIT_USAGE, ScanOptions, ScanReport, scan

__all__ = [
    "COLUMNS", "EXIT_FAILED", "EXIT_OK", "EXIT_QUARANTINED", "EXIT_USAGE", "QUARANTINE_COLUMNS", "SPARK_SCHEMA",
    "ScanError", "ScanOptions", "ScanReport", "SourceChangedError", "StateMismatchError", "UsageError", "WarmPipeline", "scan",
]
