"""Corpus files: checking them and counting their labels."""

from .check import check_files, label_counts

__all__ = ["check_files", "label_counts"]
