"""Errors of a batch scan, each mapped to an exit status by the command line."""

from __future__ import annotations


class ScanError(Exception):
    """The job failed (exit status 1): the source or destination could not be read or written."""


class UsageError(ScanError):
    """The arguments are wrong (exit status 2): a missing column, an unknown format, no input files."""


class StateMismatchError(UsageError):
    """An interrupted scan of the same destination was started with other arguments (exit status 2)."""


class SourceChangedError(ScanError):
    """The source no longer holds what an interrupted scan already processed (exit status 1)."""
