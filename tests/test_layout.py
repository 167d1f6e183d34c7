"""Tables for people: golden files at every width, and the rules they must keep (issue 11).

Every golden is checked for what a person must be able to rely on, whatever the width: no
id, status or date cut across lines, and no line wider than the terminal.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cca import load
from cca.core.kinds import KINDS
from cca.core.model import STATUSES

GOLDEN = Path(__file__).resolve().parent / "golden"


# -- golden files ----------------------------------------------------------------------------------------

GOLDEN_WIDTHS = (50, 80, 120, 200)
GOLDEN_COMMANDS = [
    *([kind.plural] for kind in KINDS),
    ["projects", "-c", "Laos"],
    ["search", "railway"],
    ["show", "china-laos-railway"],
    ["show", "qin-rupei-on-win-win-cooperation"],
    ["country", "Laos"],
]
#: Every listing, show and country at every width (issue 11), and the Markdown forms.
GOLDEN_CASES = [([*command, "-f", "table"], width) for command in GOLDEN_COMMANDS for width in GOLDEN_WIDTHS] + [
    (["projects", "-f", "markdown"], 80),
    (["aspects", "-f", "markdown"], 120),
    (["country", "Laos", "-f", "markdown"], 80),
    (["statements", "-f", "markdown"], 80),
]


@pytest.mark.parametrize(("args", "width"), GOLDEN_CASES, ids=lambda v: "-".join(v) if isinstance(v, list) else str(v))
def test_golden(cca: Any, args: list[str], width: int) -> None:
    result = cca(*args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.stderr
    path = GOLDEN / f"{'_'.join(a.lstrip('-') for a in args)}.{width}.txt"
    if os.environ.get("CCA_UPDATE_GOLDEN"):
        path.write_text(result.stdout, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}: run with CCA_UPDATE_GOLDEN=1"
    assert result.stdout == path.read_text(encoding="utf-8")
    if "markdown" not in args:  # markdown rows are one line each by design
        assert max(len(line) for line in result.stdout.splitlines()) <= width
    assert "\x1b" not in result.stdout
    fits = [word for word in _IDS if len(word) + 2 <= width - 4]  # with its brackets, inside a panel
    assert not _broken(result.stdout, fits), "an id, date or enum value is broken across lines"


#: Every id, status and date the tables may show: none may be cut across lines.
_IDS = sorted(
    {*load().all_ids(), *STATUSES, "2021-03-04", "2020-11-15"},
    key=len,
)


def _broken(text: str, whole: list[str]) -> list[str]:
    """Tokens that are a proper beginning of an id (or status, or date) and not a whole one."""
    tokens = {token.strip("[](),;:“”") for token in text.replace("│", " ").split()}
    complete = set(whole)
    return sorted(
        token
        for token in tokens
        if len(token) >= 6 and "-" in token and token not in complete and any(w.startswith(token) for w in whole)
    )
