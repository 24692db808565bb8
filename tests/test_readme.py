"""The README shows the test command CI really runs (the last command line of .ci/run)."""

from __future__ import annotations

import re
from typing import List

FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


def ci_command(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines()]
    commands = [ln for ln in lines if ln and not ln.startswith("#")]
    assert commands, ".ci/run holds no command"
    return commands[-1]


def fenced_code_lines(markdown: str) -> List[str]:
    """The lines inside fenced code blocks (``` or ~~~), stripped."""
    out: List[str] = []
    fence = None
    for line in markdown.splitlines():
        m = FENCE.match(line)
        if fence is None:
            if m:
                fence = m.group(1)
            continue
        if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):].strip():
            fence = None
            continue
        out.append(line.strip())
    return out


def test_fenced_code_lines_parser():
    md = "text `cmd` here\n```bash\n  run me  \n```\nafter\n~~~~\n```\ninner\n~~~~\n    indented\n"
    assert fenced_code_lines(md) == ["run me", "```", "inner"]


def test_ci_command_is_the_last_non_comment_line():
    assert ci_command("#!/bin/sh\nset -e\n# comment\ncd x\n\nmake test\n# trailing comment\n") == "make test"


def test_readme_shows_the_ci_test_command(root):
    command = ci_command((root / ".ci" / "run").read_text(encoding="utf-8"))
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert command in fenced_code_lines(readme), (
        f"README.md must show the CI test command, verbatim, in a code block: {command}"
    )
