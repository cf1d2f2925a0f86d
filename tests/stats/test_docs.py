"""The slice README documents every result error code, and docs/stats.md every public function."""

from __future__ import annotations

import re
from pathlib import Path

import orgloop.stats
from orgloop.stats import RESULT_ERROR_CODES

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "src" / "orgloop" / "stats" / "README.md"
USER_DOC = ROOT / "docs" / "stats.md"


def test_every_result_error_code_has_a_heading_and_no_heading_is_stale() -> None:
    headings = re.findall(r"^### (\w+)$", README.read_text(), flags=re.MULTILINE)
    assert sorted(headings) == sorted(RESULT_ERROR_CODES)


def test_every_public_function_is_in_the_user_doc() -> None:
    text = USER_DOC.read_text()
    functions = [name for name in orgloop.stats.__all__ if name[0].islower()]
    assert [name for name in functions if f"`{name}" not in text] == []
