"""Rules and lexicons shipped as package data (JSON Lines), read by the components."""

from __future__ import annotations

from importlib import resources
from typing import Any, Dict, List

import srsly


def read_text(name: str) -> str:
    """One bundled resource as text."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def read_jsonl(name: str) -> List[Dict[str, Any]]:
    """Read one bundled JSONL resource, skipping blank and ``//`` comment lines."""
    text = read_text(name)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("//")]
    return [srsly.json_loads(ln) for ln in lines]
