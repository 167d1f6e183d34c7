"""Adversarial, black-box tests of the ``cca`` command: every case runs cca as a real process.

Nothing here imports cca: each case starts ``python -m cca ...`` with a fresh cache
directory under ``tmp_path``, ``HOME=tmp_path``, ``NO_COLOR=1``, ``TERM=dumb``,
``COLUMNS=100``, no inherited ``CCA_*`` variables, a 1 GiB address-space limit and a
generous timeout that only guards against a hang (no case asserts how fast cca is: the machine
may be loaded). Hostile inputs (knowledge
files, FIFOs, symlinks, caches) are generated in ``tmp_path`` at run time.

The documented exit statuses these tests hold cca to:

    0 success; 1 knowledge could not be loaded or is invalid (``file:line:col: message``
    lines, then ``cca: N problem(s) in the knowledge files``); 2 usage error (one line);
    70 internal error (never expected here); 73 an output file cannot be created or
    written; 74 standard output cannot be written; 130 SIGINT; 143 SIGTERM.

No run may print a Python traceback or "Exception ignored", or exit 70.

Sections: 1 terminal safety, 2 export targets and CSV formulas, 3 cache trust,
4 hostile knowledge files, 5 streams and signals.

The repository root (for ``bench/run.py``) is ``$CCA_REPO``, else the parent of this
file's directory when it holds ``bench/run.py`` (``tests/`` in a checkout), else the
directory above the importable ``cca`` package.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import ctypes.util
import importlib.util
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

# -- configuration ---------------------------------------------------------------------------------

PY = sys.executable
GIB = 1 << 30
#: A hang guard, not a speed limit: a run that takes longer than this is stuck (a FIFO read, a loop).
TIMEOUT = 60.0
#: For processes started together on purpose (a race): they share the machine.
BATCH_TIMEOUT = 120.0
IS_ROOT = os.geteuid() == 0


def _repo() -> Path:
    explicit = os.environ.get("CCA_REPO")
    if explicit:
        return Path(explicit).resolve()
    here = Path(__file__).resolve().parents[1]
    if (here / "bench" / "run.py").is_file():
        return here
    spec = importlib.util.find_spec("cca")  # locates the package without importing it
    if spec is not None and spec.origin:
        root = Path(spec.origin).resolve().parents[1]
        if (root / "bench" / "run.py").is_file():
            return root
    return here


REPO = _repo()
BENCH = REPO / "bench" / "run.py"

# -- dangerous characters --------------------------------------------------------------------------

#: C0 except \t and \n, DEL, C1, bidi controls, zero-width characters, and lone surrogates
#: (a byte that is not UTF-8, decoded with surrogateescape: e.g. a raw 0x9b C1 CSI).
DANGER = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff\udc80-\udcff]"
)

ESC = "\x1b"
CSI = "\x1b[31m"
RESET = "\x1b[0m"
OSC8 = "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"
OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
C1CSI = "\x9b31m"
LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LRM, RLM, ALM = "\u200e", "\u200f", "\u061c"
ZWSP, ZWNJ, ZWJ, WJ, BOM = "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"

#: Every hostile string of the knowledge file of section 1, by role.
H: dict[str, str] = {
    "src_title": f"Hostile Title {OSC8} end {RLO}eltit",
    "src_publisher": f"Pub {CSI}lisher{RESET} {OSC52}",
    "laos_official": f"Lao {RLO}RDP{PDF} People's Republic {CSI}x",
    "laos_alias": f"Laoalias {CSI}x {ZWSP}y",
    "thai_name": f"Thai {CSI}land {RLO}dnal",
    "sector_label": f"Rail {CSI}ways {LRI}x{PDI} {RLO}syaw",
    "proj_name": f"Zanzibarrail {CSI}Railway{RESET} {RLO}evil{PDF}",
    "proj_summary": f"Summary {OSC52} {C1CSI}alert {RLO}x",
    "proj_notes": (
        "Notes nul \x00 soh \x01 bel \x07 bs \x08\x08 cr \r vt \x0b ff \x0c del \x7f nel \x85 "
        f"c1 \x9b tab \t lrm {LRM} rlm {RLM} alm {ALM} zwnj {ZWNJ} zwj {ZWJ} wj {WJ} bom {BOM} "
        f"rli {RLI} fsi {FSI} end"
    ),
    "proj_alias_1": f"alias {OSC8}",
    "proj_alias_2": f"bidi {LRE}x{PDF} {LRO}y{PDF} {RLE}z",
    "proj_alias_3": f"zw {ZWSP} x",
    "quote": f"quote {CSI}q {RLO}x",
    "metric": f"metric {CSI}2J {C1CSI} {RLO}x",
    "agreement_name": f"Agreement {CSI}evil {RLO}x",
    "agreement_summary": f"Agreement summary {OSC52}",
    "aspect_title": f"Aspect {CSI}one {RLO}x",
    "action_text": f"Action {CSI}two {OSC52} {RLO}x",
    "person_name": f"Person {CSI}Evil {RLO}x",
    "role_title": f"Role {C1CSI}x {ZWJ}y",
    "statement_summary": f"Statement {CSI}said {OSC8} {RLO}x",
    "org_name": f"Org {CSI}x {RLO}y",
    "place_name": f"Place {CSI}x {RLO}y",
    "event_name": f"Event {CSI}x {RLO}y",
    "figure_subject": f"Figure {CSI}subject {RLO}x",
    "figure_unit": f"unit{CSI}x{RLO}y",
}
SEARCH_WORD = "Zanzibarrail"
PROJECT_ID = "zanzibar-rail"

_YAML_NAMED = {
    "\x00": "\\0",
    "\x07": "\\a",
    "\x08": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\x0b": "\\v",
    "\x0c": "\\f",
    "\r": "\\r",
    "\x1b": "\\e",
    '"': '\\"',
    "\\": "\\\\",
    "\x85": "\\N",
}


def yq(text: str) -> str:
    """``text`` as a YAML double-quoted scalar, dangerous characters written as escapes (\\e, \\x9b, \\u202e)."""
    out = []
    for ch in text:
        if ch in _YAML_NAMED:
            out.append(_YAML_NAMED[ch])
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F:
            out.append(f"\\x{ord(ch):02x}")
        elif DANGER.match(ch) or not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def escape_pattern(ch: str) -> re.Pattern[str]:
    """Visible escapes of one character that a reader can see: \\x1b, \\u001b, \\U0000001b, U+001B, \\e, ^[."""
    cp = ord(ch)
    forms = [rf"\\u{cp:04x}", rf"\\U{cp:08x}", rf"<?U\+{cp:04x}>?"]
    if cp <= 0xFF:
        forms += [rf"\\x{cp:02x}", rf"\\x\{{{cp:x}\}}"]
    if ch == ESC:
        forms += [r"\\e", r"\^\[", r"\\033"]
    return re.compile("|".join(forms), re.IGNORECASE)


def raw_danger(text: str) -> list[str]:
    return sorted({f"U+{ord(m.group()):04X}" for m in DANGER.finditer(text)})


# -- running cca --------------------------------------------------------------------------------------


@dataclass
class Result:
    args: Sequence[Any]
    code: int | None  # None: killed after the timeout
    out: bytes
    err: bytes
    seconds: float

    @property
    def stdout(self) -> str:
        return self.out.decode("utf-8", "surrogateescape")

    @property
    def stderr(self) -> str:
        return self.err.decode("utf-8", "surrogateescape")

    def __str__(self) -> str:
        shown = " ".join(repr(a) if not isinstance(a, str) or not a.isprintable() else a for a in self.args)
        return (
            f"cca {shown[:300]}\n  exit: {self.code} after {self.seconds:.2f} s\n"
            f"  stdout: {self.out[:600]!r}\n  stderr: {self.err[:1500]!r}"
        )


def assert_sane(r: Result, *, signalled: bool = False) -> None:
    """What every run must satisfy: finished in time, no traceback, no 'Exception ignored', no status 70."""
    assert r.code is not None, f"did not finish in time:\n{r}"
    assert "Traceback (most recent call last)" not in r.stderr, f"traceback on stderr:\n{r}"
    assert "Exception ignored" not in r.stderr, f"'Exception ignored' on stderr:\n{r}"
    assert "RecursionError" not in r.stderr, f"RecursionError:\n{r}"
    assert r.code != 70, f"internal error (status 70):\n{r}"
    if not signalled:
        assert r.code >= 0, f"killed by signal {-r.code}:\n{r}"


def make_env(home: Path, cache: Path | None = None, **extra: str | None) -> dict[str, str]:
    """A clean environment: nothing from the caller's CCA_*, colour or locale settings."""
    drop_prefixes = ("CCA_", "PYTHON", "LC_", "XDG_")
    drop = {"FORCE_COLOR", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS", "LINES", "TERM", "HOME"}
    env = {
        k: v
        for k, v in os.environ.items()
        if (k == "PYTHONPATH" or not k.startswith(drop_prefixes)) and k not in drop and not k.endswith("_COMPLETE")
    }
    env.update(
        HOME=str(home),
        CCA_CACHE_DIR=str(cache if cache is not None else home / "cache"),
        NO_COLOR="1",
        TERM="dumb",
        COLUMNS="100",
        LANG="C.UTF-8",
        PYTHONDONTWRITEBYTECODE="1",
    )
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _preexec(setup: Callable[[], object] | None = None) -> Callable[[], None]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))
        if setup is not None:
            setup()

    return limit


def cca_command(args: Sequence[Any]) -> list[Any]:
    return [PY, "-m", "cca", *args]


def run(
    args: Sequence[Any],
    *,
    env: dict[str, str],
    cwd: Path,
    timeout: float = TIMEOUT,
    stdin: Any = subprocess.DEVNULL,
    stdout: Any = subprocess.PIPE,
    stderr: Any = subprocess.PIPE,
    setup: Callable[[], object] | None = None,
    check: bool = True,
) -> Result:
    """Run cca once as a real process; by default also check it is sane (see assert_sane)."""
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cca_command(args),
            env=env,
            cwd=cwd,
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            timeout=timeout,
            preexec_fn=_preexec(setup),
        )
        code: int | None = proc.returncode
        out, err = proc.stdout or b"", proc.stderr or b""
    except subprocess.TimeoutExpired as expired:
        code = None
        out, err = expired.stdout or b"", expired.stderr or b""
    result = Result(list(args), code, out, err, time.monotonic() - started)
    if check:
        assert_sane(result)
    return result


def one_line_error(r: Result, codes: Iterable[int]) -> str:
    """The run failed with one of ``codes`` and exactly one line ``cca: ...`` on stderr."""
    codes = tuple(codes)
    assert r.code in codes, f"expected exit status {codes}:\n{r}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr:\n{r}"
    assert lines[0].startswith("cca: "), f"the error line must start with 'cca: ':\n{r}"
    return lines[0]


SUMMARY = re.compile(r"cca: (\d+) problems? in the knowledge files")
POSITIONED = re.compile(r"(\d+):(\d+): \S")


def labels_for(path: Path | str, cwd: Path, *more: str) -> list[str]:
    """Ways a message may name ``path``: absolute, relative to cwd, ./relative, resolved."""
    path = Path(path)
    found = {str(path)}
    with contextlib.suppress(ValueError):
        rel = os.path.relpath(path, cwd)
        found |= {rel, f"./{rel}"}
    with contextlib.suppress(OSError, RuntimeError):
        found.add(str(path.resolve()))
    found |= set(more)
    return sorted(found, key=len, reverse=True)


def knowledge_error(
    r: Result, labels: Sequence[str], *, line: int | None = None, lines: tuple[int, int] | None = None
) -> str:
    """Status 1; every problem on its own line, then the summary; one problem names ``labels``.

    ``line`` pins the problem's line; ``lines`` gives an inclusive range it must fall in
    (either demands a ``file:line:col:`` position; otherwise ``file: message`` is enough).
    """
    assert r.code == 1, f"expected exit status 1 (invalid knowledge):\n{r}"
    stderr_lines = r.stderr.splitlines()
    assert stderr_lines, f"nothing on stderr:\n{r}"
    summary = SUMMARY.fullmatch(stderr_lines[-1])
    assert summary, f"last stderr line must be 'cca: N problem(s) in the knowledge files':\n{r}"
    problems = stderr_lines[:-1]
    assert int(summary.group(1)) == len(problems) >= 1, f"summary count does not match the problem lines:\n{r}"
    for problem in problems:
        assert re.fullmatch(r".+?: \S.*", problem), f"not a 'path:line:col: message' line: {problem!r}"
    for problem in problems:
        for label in labels:
            if not problem.startswith(label + ":"):
                continue
            rest = problem[len(label) + 1 :]
            position = POSITIONED.match(rest)
            if line is None and lines is None:
                if position or rest.startswith(" "):
                    return problem
                continue
            if position:
                at = int(position.group(1))
                if line is not None and at == line:
                    return problem
                if lines is not None and lines[0] <= at <= lines[1]:
                    return problem
    where = f" at line {line}" if line is not None else f" within lines {lines}" if lines else ""
    raise AssertionError(f"no problem line for {labels[:3]}{where}:\n{r}")


# -- knowledge files ------------------------------------------------------------------------------------

EVIDENCE = """\
    evidence:
      - source: test-source
        quote: "the test railway"
"""


def mini_yaml(
    name: str = "Test Railway",
    *,
    countries: str = "",
    sectors: str = "",
    extra: str = "",
    summary: str | None = None,
    aliases: Sequence[str] = (),
) -> str:
    """A small valid knowledge file (Laos, China, one railway project); hostile parts slot in."""
    text = f"""\
format: 1
sources:
  - id: test-source
    title: "A test source"
    publisher: "Test Publisher"
    date: "2021-03-04"
countries:
  - id: laos
    name: "Laos"
    official_name: "Lao People's Democratic Republic"
    iso2: "LA"
    iso3: "LAO"
  - id: china
    name: "China"
    official_name: "People's Republic of China"
    iso2: "CN"
    iso3: "CHN"
{countries}sectors:
  - id: transport
    label: "Transport"
  - id: railway
    label: "Railway"
    parent: transport
{sectors}projects:
  - id: test-railway
    name: {yq(name)}
    type: railway
    countries:
      - china
      - laos
    sectors:
      - railway
"""
    if summary is not None:
        text += f"    summary: {yq(summary)}\n"
    if aliases:
        text += "    aliases:\n" + "".join(f"      - {yq(a)}\n" for a in aliases)
    text += """\
    status:
      - value: under-construction
        as_of: "2021-03-04"
        evidence:
          - source: test-source
            quote: "the railway is under construction"
    progress:
      - metric: overall
        value: 54
        unit: percent
        as_of: "2021-03-04"
        evidence:
          - source: test-source
            quote: "54% of the railway"
    evidence:
      - source: test-source
        quote: "the test railway"
"""
    return text + extra


def line_of(text: str, marker: str, start: int = 1) -> int:
    """1-based number of the first line at or after ``start`` that contains ``marker``."""
    for number, content in enumerate(text.splitlines(), 1):
        if number >= start and marker in content:
            return number
    raise AssertionError(f"marker {marker!r} not in the generated file")


def hostile_yaml() -> str:
    """Valid knowledge (no bundled file needed) with a hostile string in every field that is shown."""
    ev = f"""\
    evidence:
      - source: evil-source
        quote: {yq(H["quote"])}
"""
    return f"""\
format: 1
sources:
  - id: evil-source
    title: {yq(H["src_title"])}
    publisher: {yq(H["src_publisher"])}
    date: "2021-03-04"
countries:
  - id: laos
    name: "Laos"
    official_name: {yq(H["laos_official"])}
    iso2: "LA"
    iso3: "LAO"
    aliases:
      - {yq(H["laos_alias"])}
  - id: china
    name: "China"
    official_name: "People's Republic of China"
    iso2: "CN"
    iso3: "CHN"
  - id: thailand
    name: {yq(H["thai_name"])}
    official_name: "Kingdom of Thailand"
    iso2: "TH"
    iso3: "THA"
sectors:
  - id: transport
    label: "Transport"
  - id: railway
    label: {yq(H["sector_label"])}
    parent: transport
projects:
  - id: {PROJECT_ID}
    name: {yq(H["proj_name"])}
    type: railway
    countries: [china, laos, thailand]
    sectors: [railway]
    summary: {yq(H["proj_summary"])}
    notes: {yq(H["proj_notes"])}
    aliases:
      - {yq(H["proj_alias_1"])}
      - {yq(H["proj_alias_2"])}
      - {yq(H["proj_alias_3"])}
    status:
      - value: under-construction
        as_of: "2021-03-04"
        evidence:
          - source: evil-source
            quote: {yq(H["quote"])}
    progress:
      - metric: {yq(H["metric"])}
        value: 54
        unit: percent
        as_of: "2021-03-04"
        evidence:
          - source: evil-source
            quote: {yq(H["quote"])}
{ev}agreements:
  - id: evil-agreement
    name: {yq(H["agreement_name"])}
    type: bilateral-agreement
    countries: [china, laos]
    summary: {yq(H["agreement_summary"])}
{ev}aspects:
  - id: evil-aspect
    number: 1
    title: {yq(H["aspect_title"])}
    actions:
      - id: evil-action
        text: {yq(H["action_text"])}
        sectors: [railway]
        evidence:
          - source: evil-source
            quote: {yq(H["quote"])}
{ev}people:
  - id: evil-person
    name: {yq(H["person_name"])}
    country: laos
    roles:
      - title: {yq(H["role_title"])}
{ev}statements:
  - id: evil-statement
    person: evil-person
    form: reported
    summary: {yq(H["statement_summary"])}
    about: [{PROJECT_ID}]
{ev}organisations:
  - id: evil-org
    name: {yq(H["org_name"])}
    type: company
    country: laos
{ev}places:
  - id: evil-place
    name: {yq(H["place_name"])}
    type: city
    country: laos
{ev}events:
  - id: evil-event
    name: {yq(H["event_name"])}
    type: forum
    date: "2020-11-27"
    place: evil-place
    related: [{PROJECT_ID}]
{ev}figures:
  - id: evil-figure
    subject: {yq(H["figure_subject"])}
    value: 54
    unit: {yq(H["figure_unit"])}
    countries: [china, laos, thailand]  # a figure about a project names the project's countries
    about: [{PROJECT_ID}]
{ev}"""


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def files_under(directory: Path) -> list[str]:
    """Every entry below ``directory`` (relative names, sorted); [] when it does not exist."""
    if not directory.exists():
        return []
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def lstat_signature(path: Path) -> tuple[Any, ...]:
    """What 'unchanged' means for a path: its type, mode, inode, and link target or size."""
    st = os.lstat(path)
    link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
    return (
        stat.S_IFMT(st.st_mode),
        stat.S_IMODE(st.st_mode),
        st.st_ino,
        link,
        st.st_size if stat.S_ISREG(st.st_mode) else None,
    )


# =====================================================================================================
# 1. Terminal safety
# =====================================================================================================

S1_COMMANDS: dict[str, list[str]] = {
    "projects": ["projects"],
    "aspects": ["aspects"],
    "actions": ["actions"],
    "agreements": ["agreements"],
    "people": ["people"],
    "statements": ["statements"],
    "organisations": ["organisations"],
    "places": ["places"],
    "events": ["events"],
    "figures": ["figures"],
    "countries": ["countries"],
    "sectors": ["sectors"],
    "sources": ["sources"],
    "show": ["show", PROJECT_ID],
    "country": ["country", "Laos"],
    "search": ["search", SEARCH_WORD],
}
HUMAN_FORMATS = ["default", "table", "plain", "markdown", "csv", "tsv"]
MACHINE_FORMATS = ["json", "jsonl", "yaml"]
#: The exact original strings each command's JSON/JSONL/YAML must carry.
S1_EXPECTED: dict[str, list[str]] = {
    "projects": ["proj_name", "proj_summary", "proj_notes", "proj_alias_1", "proj_alias_2", "proj_alias_3", "metric"],
    "aspects": ["aspect_title"],
    "actions": ["action_text"],
    "agreements": ["agreement_name", "agreement_summary"],
    "people": ["person_name", "role_title"],
    "statements": ["statement_summary"],
    "organisations": ["org_name"],
    "places": ["place_name"],
    "events": ["event_name"],
    "figures": ["figure_subject", "figure_unit"],
    "countries": ["thai_name", "laos_official", "laos_alias"],
    "sectors": ["sector_label"],
    "sources": ["src_title", "src_publisher"],
    "show": ["proj_name", "proj_notes", "proj_summary", "quote", "src_title"],
    "country": ["laos_official", "proj_name", "metric"],
    "search": ["proj_name"],
}
#: Characters whose visible escape must appear in every human format of every command
#: (each command shows a name-like field holding both).
ALWAYS_VISIBLE = [ESC, RLO]
#: `show` prints notes, aliases and summary too: every character in them must show as an escape.
SHOW_VISIBLE = sorted(
    {ch for key in ("proj_notes", "proj_alias_2", "proj_alias_3", "proj_summary") for ch in H[key] if DANGER.match(ch)}
)


def _format_args(fmt: str) -> list[str]:
    return [] if fmt == "default" else ["--format", fmt]


class _LazyRuns(dict[tuple[str, str], Result]):
    """Each (command, format) run on first use, then kept: with xdist, each worker runs only its own."""

    def __init__(self, base: Path, knowledge: Path) -> None:
        super().__init__()
        self.base, self.knowledge = base, knowledge

    def __missing__(self, key: tuple[str, str]) -> Result:
        command, fmt = key
        home = self.base / f"{command}-{fmt}"
        home.mkdir()
        args = ["--no-bundled", "-k", str(self.knowledge), *S1_COMMANDS[command], *_format_args(fmt)]
        self[key] = result = run(args, env=make_env(home), cwd=home, check=False)
        return result


@pytest.fixture(scope="module")
def s1(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Result]:
    """Every command of section 1 in every format, over the hostile file (each run with its own fresh cache)."""
    base = tmp_path_factory.mktemp("s1")
    return _LazyRuns(base, write(base / "hostile.yaml", hostile_yaml()))


def test_hostile_knowledge_file_is_valid(tmp_path: Path) -> None:
    """The section-1 knowledge file is valid: hostile strings must reach the output, not be refused."""
    knowledge = write(tmp_path / "hostile.yaml", hostile_yaml())
    r = run(["--no-bundled", "-k", str(knowledge), "validate"], env=make_env(tmp_path), cwd=tmp_path)
    assert r.code == 0, f"the hostile file must be accepted:\n{r}"
    assert not raw_danger(r.stderr), f"raw dangerous characters on stderr {raw_danger(r.stderr)}:\n{r}"


@pytest.mark.parametrize("fmt", HUMAN_FORMATS)
@pytest.mark.parametrize("command", list(S1_COMMANDS))
def test_human_formats_escape_dangerous_characters(s1: dict[tuple[str, str], Result], command: str, fmt: str) -> None:
    """Human formats print no raw control, bidi or zero-width character (tab only in plain/TSV stdout),
    and show the hostile characters as visible escapes (\\x1b, \\u202e, ...)."""
    r = s1[(command, fmt)]
    assert_sane(r)
    assert r.code == 0, f"expected success:\n{r}"
    assert not raw_danger(r.stdout), f"raw dangerous characters on stdout {raw_danger(r.stdout)}:\n{r}"
    assert not raw_danger(r.stderr), f"raw dangerous characters on stderr {raw_danger(r.stderr)}:\n{r}"
    if fmt not in ("plain", "tsv", "default"):  # the default in a pipe is plain
        assert "\t" not in r.stdout, f"raw tab in {fmt} output:\n{r}"
    assert "\t" not in r.stderr, f"raw tab on stderr:\n{r}"
    wanted = ALWAYS_VISIBLE + (SHOW_VISIBLE if command == "show" else [])
    missing = [f"U+{ord(ch):04X}" for ch in wanted if not escape_pattern(ch).search(r.stdout)]
    assert not missing, f"no visible escape for {missing} in the output:\n{r}"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _parse_machine(fmt: str, text: str) -> Any:
    if fmt == "json":
        return json.loads(text)
    if fmt == "jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return yaml.safe_load(text)


@pytest.mark.parametrize("fmt", MACHINE_FORMATS)
@pytest.mark.parametrize("command", list(S1_COMMANDS))
def test_machine_formats_round_trip_exact_strings(s1: dict[tuple[str, str], Result], command: str, fmt: str) -> None:
    """JSON, JSONL and YAML parse back to the exact original hostile strings, while their bytes
    hold no raw dangerous character (the encoder escapes them: \\u001b, \\u202e, "\\e")."""
    r = s1[(command, fmt)]
    assert_sane(r)
    assert r.code == 0, f"expected success:\n{r}"
    assert not raw_danger(r.stdout), f"raw dangerous characters on stdout {raw_danger(r.stdout)}:\n{r}"
    assert "\t" not in r.stdout, f"raw tab in {fmt} output:\n{r}"
    assert not raw_danger(r.stderr), f"raw dangerous characters on stderr {raw_danger(r.stderr)}:\n{r}"
    try:
        parsed = _parse_machine(fmt, r.stdout)
    except (ValueError, yaml.YAMLError) as error:
        raise AssertionError(f"{fmt} output does not parse: {error}\n{r}") from None
    strings = set(_strings(parsed))
    missing = [key for key in S1_EXPECTED[command] if H[key] not in strings]
    assert not missing, f"{fmt} output lost the exact strings of {missing}:\n{r}"


def test_unknown_id_argument_is_escaped_on_stderr(tmp_path: Path) -> None:
    """`cca show $'\\x1b[31mx'`: usage error (2), one line, the id echoed with its ESC escaped."""
    r = run(["show", "\x1b[31mx"], env=make_env(tmp_path), cwd=tmp_path)
    line = one_line_error(r, [2])
    assert not raw_danger(r.stderr), f"raw dangerous characters on stderr {raw_danger(r.stderr)}:\n{r}"
    assert r.out == b"", f"nothing may go to stdout:\n{r}"
    if "[31mx" in line:
        assert escape_pattern(ESC).search(line), f"the id is echoed without a visible escape:\n{r}"


def test_missing_knowledge_file_name_is_escaped(tmp_path: Path) -> None:
    """`cca -k $'evil\\x1b]52;c;AA\\x07.yaml' projects` for a missing file: status 1, the name
    shown with ESC and BEL escaped (an OSC 52 clipboard write must not reach the terminal)."""
    name = "evil\x1b]52;c;AA\x07.yaml"
    r = run(["--no-bundled", "-k", name, "projects"], env=make_env(tmp_path), cwd=tmp_path)
    assert not raw_danger(r.stderr), f"raw dangerous characters on stderr {raw_danger(r.stderr)}:\n{r}"
    assert r.code == 1, f"expected exit status 1:\n{r}"
    assert "]52;c;AA" in r.stderr, f"the file is not named:\n{r}"
    for ch in (ESC, "\x07"):
        assert escape_pattern(ch).search(r.stderr), f"U+{ord(ch):04X} is not shown escaped:\n{r}"
    escaped = [line for line in r.stderr.splitlines() if "]52;c;AA" in line]
    knowledge_error(r, [escaped[0].split(".yaml")[0] + ".yaml"])


def test_search_argument_is_escaped(tmp_path: Path) -> None:
    """`cca search $'\\x1b[2J'`: success, nothing raw on either stream; if the text is echoed, escaped."""
    r = run(["search", "\x1b[2J"], env=make_env(tmp_path), cwd=tmp_path)
    assert r.code == 0, f"expected success (an empty answer):\n{r}"
    assert not raw_danger(r.stdout), f"raw dangerous characters on stdout {raw_danger(r.stdout)}:\n{r}"
    assert not raw_danger(r.stderr), f"raw dangerous characters on stderr {raw_danger(r.stderr)}:\n{r}"
    for stream in (r.stdout, r.stderr):
        if "[2J" in stream:
            assert escape_pattern(ESC).search(stream), f"'[2J' echoed without its ESC escaped:\n{r}"


def test_syntax_error_in_file_named_with_escape(tmp_path: Path) -> None:
    """A file whose name holds ESC and has a syntax error: its `file:line:col` line names it escaped."""
    text = mini_yaml() + "broken: [unclosed\n"
    bad = write(tmp_path / "bad\x1b[31mname.yaml", text)
    r = run(["--no-bundled", "-k", str(bad), "projects"], env=make_env(tmp_path), cwd=tmp_path)
    assert not raw_danger(r.stderr), f"raw dangerous characters on stderr {raw_danger(r.stderr)}:\n{r}"
    assert r.code == 1, f"expected exit status 1:\n{r}"
    named = [line for line in r.stderr.splitlines() if "[31mname.yaml" in line]
    assert named, f"the file is not named:\n{r}"
    assert escape_pattern(ESC).search(named[0]), f"ESC in the file name is not escaped:\n{r}"
    label = named[0][: named[0].index("[31mname.yaml") + len("[31mname.yaml")]
    knowledge_error(r, [label], lines=(line_of(text, "broken:"), len(text.splitlines()) + 1))


# =====================================================================================================
# 2. Export targets and CSV formulas
# =====================================================================================================


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    return write(tmp_path / "kn" / "mini.yaml", mini_yaml())


def export_args(knowledge: Path, target: Any, fmt: str, *more: str) -> list[Any]:
    return ["--no-bundled", "-k", str(knowledge), "export", target, "--format", fmt, *more]


def test_export_json_to_dash_streams_to_stdout(tmp_path: Path, mini: Path) -> None:
    """`export - --format json` writes the JSON document to stdout; no file named '-' appears."""
    r = run(export_args(mini, "-", "json"), env=make_env(tmp_path), cwd=tmp_path)
    assert r.code == 0, f"expected success:\n{r}"
    document = json.loads(r.stdout)
    names = [p["name"] for p in document["records"]["projects"]]
    assert names == ["Test Railway"], f"unexpected projects {names}:\n{r}"
    assert not os.path.lexists(tmp_path / "-"), "a file named '-' was created"


def test_export_sqlite_to_dash_streams_a_database(tmp_path: Path, mini: Path) -> None:
    """`export - --format sqlite` to a non-terminal stdout writes the bytes of a valid SQLite database."""
    r = run(export_args(mini, "-", "sqlite"), env=make_env(tmp_path), cwd=tmp_path)
    assert r.code == 0, f"expected success:\n{r}"
    assert r.out.startswith(b"SQLite format 3\x00"), f"stdout is not a SQLite database:\n{r}"
    copy = write(tmp_path / "copy.db", r.out)
    with contextlib.closing(sqlite3.connect(copy)) as db:
        names = [row[0] for row in db.execute("SELECT name FROM projects")]
    assert names == ["Test Railway"]
    assert not os.path.lexists(tmp_path / "-"), "a file named '-' was created"
    assert not os.path.lexists(tmp_path / "-.metadata.json"), "a metadata file for '-' was created"


def test_export_csv_to_dash_streams_or_refuses(tmp_path: Path, mini: Path) -> None:
    """`export - --format csv`: either a CSV stream on stdout (exit 0) or a one-line refusal (exit 2);
    never a file or directory named '-'."""
    r = run(export_args(mini, "-", "csv"), env=make_env(tmp_path), cwd=tmp_path)
    assert not os.path.lexists(tmp_path / "-"), "a file or directory named '-' was created"
    if r.code == 0:
        assert "Test Railway" in r.stdout, f"exit 0 but no CSV on stdout:\n{r}"
        assert list(csv.reader(io.StringIO(r.stdout))), f"stdout is not CSV:\n{r}"
    else:
        one_line_error(r, [2])
        assert r.out == b"", f"a refusal prints nothing on stdout:\n{r}"


def _make_target(kind: str, target: Path) -> None:
    if kind == "symlink-to-devnull":
        os.symlink("/dev/null", target)
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
        (target / "keep.txt").write_text("keep\n")
    elif kind == "dangling-symlink":
        os.symlink(target.parent / "nowhere" / "missing.json", target)
    else:
        raise ValueError(kind)


NON_REGULAR = [
    (kind, fmt, force)
    for fmt in ("json", "sqlite", "csv")
    for kind in ("symlink-to-devnull", "fifo", "directory", "dangling-symlink")
    for force in (False, True)
    if not (fmt == "csv" and kind == "directory")  # a directory is what a CSV export writes into
]


@pytest.mark.parametrize(
    ("kind", "fmt", "force"), NON_REGULAR, ids=[f"{k}-{f}-{'force' if o else 'noforce'}" for k, f, o in NON_REGULAR]
)
def test_export_refuses_non_regular_target(tmp_path: Path, mini: Path, kind: str, fmt: str, force: bool) -> None:
    """A target that exists and is not a regular file (symlink to /dev/null, FIFO, directory, dangling
    symlink) is refused with one line, status 2 or 73, with or without --force; it stays as it was."""
    out = tmp_path / "out"
    out.mkdir()
    target = out / "target"
    _make_target(kind, target)
    before = lstat_signature(target)
    listing = files_under(out)
    devnull = os.stat("/dev/null")
    r = run(
        export_args(mini, str(target), fmt, *(["--force"] if force else [])),
        env=make_env(tmp_path),
        cwd=tmp_path,
    )
    one_line_error(r, [2, 73])
    assert lstat_signature(target) == before, f"the target changed:\n{r}"
    assert files_under(out) == listing, f"files appeared or vanished: {files_under(out)} vs {listing}\n{r}"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and os.stat("/dev/null").st_rdev == devnull.st_rdev
    if kind == "fifo":  # still a FIFO, and nothing was left in it
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
        try:
            assert os.read(fd, 16) == b"", "data was written into the FIFO"
        finally:
            os.close(fd)


@pytest.mark.parametrize("fmt", ["json", "sqlite"])
def test_export_refuses_device_target(tmp_path: Path, mini: Path, fmt: str) -> None:
    """`export /dev/full` (a device, no --force): refused with one line, status 2 or 73; /dev is untouched."""
    before = os.stat("/dev/full")
    dev_listing = sorted(os.listdir("/dev"))
    r = run(export_args(mini, "/dev/full", fmt), env=make_env(tmp_path), cwd=tmp_path)
    one_line_error(r, [2, 73])
    after = os.stat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert sorted(os.listdir("/dev")) == dev_listing, "files appeared in /dev"


@pytest.mark.parametrize("force", [False, True], ids=["noforce", "force"])
@pytest.mark.parametrize("fmt", ["json", "sqlite", "csv"])
def test_export_existing_regular_file(tmp_path: Path, mini: Path, fmt: str, force: bool) -> None:
    """An existing regular file: without --force, exit 2 and unchanged; with --force, replaced by a valid export."""
    out = tmp_path / "out"
    out.mkdir()
    target = out / ("kb" if fmt == "csv" else f"kb.{fmt}")
    existing = (target / "projects.csv") if fmt == "csv" else target
    write(existing, "precious\n")
    r = run(export_args(mini, str(target), fmt, *(["--force"] if force else [])), env=make_env(tmp_path), cwd=tmp_path)
    if not force:
        one_line_error(r, [2])
        assert existing.read_bytes() == b"precious\n", "the existing file was changed"
        return
    assert r.code == 0, f"--force must replace the file:\n{r}"
    if fmt == "json":
        assert json.loads(target.read_text())["records"]["projects"][0]["name"] == "Test Railway"
    elif fmt == "sqlite":
        with contextlib.closing(sqlite3.connect(target)) as db:
            assert [row[0] for row in db.execute("SELECT name FROM projects")] == ["Test Railway"]
    else:
        with existing.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert [row["name"] for row in rows] == ["Test Railway"]


#: Waits until a gate file exists, then becomes the real command: starts many processes at once.
GATE = (
    "import os, sys, time\n"
    "while not os.path.exists(sys.argv[1]):\n"
    "    time.sleep(0.001)\n"
    "os.execv(sys.argv[2], sys.argv[2:])"
)


@pytest.mark.parametrize("fmt", ["json", "sqlite"])
def test_concurrent_exports_one_winner(tmp_path: Path, fmt: str) -> None:
    """Eight exports released at once (behind a start gate) to one new path without --force: exactly
    one succeeds, seven exit non-zero with one line each; the file is whole and nothing else is left."""
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"kb.{fmt}"
    gate = tmp_path / "gate"
    procs = []
    for index in range(8):
        home = tmp_path / f"h{index}"
        home.mkdir()
        procs.append(
            subprocess.Popen(
                [PY, "-c", GATE, str(gate), *cca_command(["export", str(target), "--format", fmt])],
                env=make_env(home),
                cwd=home,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                preexec_fn=_preexec(),
            )
        )
    time.sleep(0.3)  # every waiting interpreter is up
    gate.touch()
    results = []
    started = time.monotonic()
    for proc in procs:
        try:
            out_bytes, err_bytes = proc.communicate(timeout=BATCH_TIMEOUT)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            proc.kill()
            out_bytes, err_bytes = proc.communicate()
            code = None
        results.append(Result(["export", str(target)], code, out_bytes, err_bytes, time.monotonic() - started))
    for r in results:
        assert_sane(r)
    winners = [r for r in results if r.code == 0]
    assert len(winners) == 1, "exactly one export may succeed:\n" + "\n".join(map(str, results))
    for r in results:
        if r.code != 0:
            one_line_error(r, [2, 73])
    expected = [target.name] + ([target.name + ".metadata.json"] if fmt == "sqlite" else [])
    assert files_under(out) == sorted(expected), f"left in the directory: {files_under(out)}"
    if fmt == "json":
        assert any(p["id"] == "china-laos-railway" for p in json.loads(target.read_text())["records"]["projects"])
    else:
        with contextlib.closing(sqlite3.connect(target)) as db:
            assert db.execute("SELECT name FROM projects WHERE id = 'china-laos-railway'").fetchone() == (RAILWAY,)


@pytest.mark.parametrize("fmt", ["json", "sqlite", "csv"])
@pytest.mark.parametrize("umask", [0o022, 0o077], ids=["umask022", "umask077"])
def test_export_modes_follow_umask(tmp_path: Path, mini: Path, fmt: str, umask: int) -> None:
    """Exported files get 0666 & ~umask: 0644 under umask 022, 0600 under 077 (sqlite and its
    metadata JSON, every CSV file, the JSON document)."""
    out = tmp_path / "out"
    out.mkdir()
    target = out / ("csv" if fmt == "csv" else f"kb.{fmt}")
    r = run(export_args(mini, str(target), fmt), env=make_env(tmp_path), cwd=tmp_path, setup=lambda: os.umask(umask))
    assert r.code == 0, f"expected success:\n{r}"
    if fmt == "csv":
        written = sorted(p for p in target.iterdir() if p.is_file())
        assert written and all(p.suffix == ".csv" for p in written), f"unexpected CSV files {written}"
    elif fmt == "sqlite":
        written = [target, out / f"{target.name}.metadata.json"]
    else:
        written = [target]
    expected = 0o666 & ~umask
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in written}
    assert all(mode == oct(expected) for mode in modes.values()), f"modes {modes}, expected {oct(expected)}"


def _drop_dac_capabilities() -> None:
    """In the child: lose root's power to ignore file modes (CAP_DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER).

    Dropped from the bounding set before exec, so the new program never gets them.
    """
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    pr_capbset_drop = 24
    for capability in (1, 2, 3):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            os._exit(99)


def _read_only_directory(path: Path) -> None:
    """A directory nobody may write, root included (the child runs without CAP_DAC_OVERRIDE)."""
    path.mkdir()
    if IS_ROOT:
        os.chown(path, 65534, 65534)
    path.chmod(0o555)
    probe = subprocess.run(
        [PY, "-c", "import sys; open(sys.argv[1], 'x')", str(path / "probe")],
        preexec_fn=_drop_dac_capabilities,
        capture_output=True,
    )
    assert probe.returncode != 0 and not (path / "probe").exists(), "test setup: could not make a read-only directory"


def _full_filesystem(path: Path) -> Callable[[], object]:
    """Mount a tiny tmpfs at ``path`` and fill it; returns the unmount function."""
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(path)], check=True)
    with contextlib.suppress(OSError), (path / "filler").open("wb") as filler:
        while True:
            filler.write(b"\0" * 4096)
            filler.flush()
    return lambda: subprocess.run(["umount", "-l", str(path)], check=False)


def _can_mount_tmpfs() -> bool:
    if not IS_ROOT or not shutil.which("mount"):
        return False
    probe = tempfile.mkdtemp(prefix="cca-hostile-mount-")
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], capture_output=True)
        if done.returncode != 0:
            return False
        subprocess.run(["umount", probe], capture_output=True)
        return True
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(probe)


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))


EXPORT_ERRORS = ["permission-denied", "parent-is-a-file", "empty-name", "empty-name-force", "file-too-large"]
if _can_mount_tmpfs():
    EXPORT_ERRORS.append("filesystem-full")


@pytest.mark.parametrize("fmt", ["json", "sqlite", "csv"])
@pytest.mark.parametrize("case", EXPORT_ERRORS)
def test_export_write_errors(tmp_path: Path, case: str, fmt: str) -> None:
    """An export that cannot be created or written (EACCES even for root, ENOTDIR, '', EFBIG, ENOSPC):
    one line, status 2 or 73, no temporary file left where it was going."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = make_env(tmp_path)
    setup: Callable[[], object] | None = None
    cleanup: Callable[[], object] | None = None
    more: list[str] = []
    watch = cwd
    name = "csv" if fmt == "csv" else f"kb.{fmt}"
    if case == "permission-denied":
        watch = tmp_path / "readonly"
        _read_only_directory(watch)
        target: str = str(watch / name)
        setup = _drop_dac_capabilities
    elif case == "parent-is-a-file":
        write(cwd / "afile", "a file\n")
        target = str(cwd / "afile" / name)
    elif case in ("empty-name", "empty-name-force"):
        target = ""
        if case.endswith("force"):
            more = ["--force"]
    elif case == "file-too-large":
        watch = tmp_path / "big"
        watch.mkdir()
        target = str(watch / name)
        setup = _limit_file_size
    else:
        watch = tmp_path / "full"
        cleanup = _full_filesystem(watch)
        target = str(watch / name)
    try:
        listing = files_under(watch)
        cwd_listing = files_under(cwd)
        # The bundled knowledge: an export well over the 16 KiB and 64 KiB limits below.
        r = run(["export", target, "--format", fmt, *more], env=env, cwd=cwd, setup=setup)
        one_line_error(r, [2, 73])
        assert files_under(watch) == listing, f"left behind: {sorted(set(files_under(watch)) - set(listing))}\n{r}"
        assert files_under(cwd) == cwd_listing, f"left in the working directory: {files_under(cwd)}\n{r}"
    finally:
        if cleanup is not None:
            cleanup()


FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'
FORMULA_SUMMARY = "@SUM(1+1)"
FORMULA_ALIASES = ["+1+cmd", "-2+3"]


def _formula_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "kn" / "formula.yaml",
        mini_yaml(FORMULA_NAME, summary=FORMULA_SUMMARY, aliases=FORMULA_ALIASES),
    )


def _check_formula_row(row: dict[str, str], where: str) -> None:
    assert row["name"] == "'" + FORMULA_NAME, f"{where}: name cell {row['name']!r}"
    assert row["summary"] == "'" + FORMULA_SUMMARY, f"{where}: summary cell {row['summary']!r}"
    assert row["aliases"].startswith("'"), f"{where}: aliases cell {row['aliases']!r}"
    assert "+1+cmd" in row["aliases"] and "-2+3" in row["aliases"], f"{where}: aliases cell {row['aliases']!r}"


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_formula_cells_neutralised_on_stdout(tmp_path: Path, fmt: str) -> None:
    """`projects --format csv|tsv`: cells starting with =, @, + or - begin with an apostrophe."""
    knowledge = _formula_file(tmp_path)
    r = run(["--no-bundled", "-k", str(knowledge), "projects", "--format", fmt], env=make_env(tmp_path), cwd=tmp_path)
    assert r.code == 0, f"expected success:\n{r}"
    rows = list(csv.DictReader(io.StringIO(r.stdout), delimiter="," if fmt == "csv" else "\t"))
    assert len(rows) == 1, f"expected one project row:\n{r}"
    _check_formula_row(rows[0], fmt)


@pytest.mark.parametrize("bom", [False, True], ids=["nobom", "bom"])
def test_formula_cells_neutralised_in_csv_export(tmp_path: Path, bom: bool) -> None:
    """`export --format csv` (with and without --bom): formula cells in projects.csv begin with an apostrophe."""
    knowledge = _formula_file(tmp_path)
    out = tmp_path / "csv"
    r = run(
        ["--no-bundled", "-k", str(knowledge), "export", str(out), "--format", "csv", *(["--bom"] if bom else [])],
        env=make_env(tmp_path),
        cwd=tmp_path,
    )
    assert r.code == 0, f"expected success:\n{r}"
    data = (out / "projects.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom, "the BOM is wrong"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1
    _check_formula_row(rows[0], "projects.csv")


# =====================================================================================================
# 3. Cache trust
# =====================================================================================================

RAILWAY = "China-Laos Railway"
PWNED = "PWNED-by-cache"
LAOS_QUERY = ["projects", "--country", "Laos", "--json"]


def _quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _poison_sqlite(path: Path, old: str, new: str, whole_cell: bool) -> int:
    changed = 0
    connection = sqlite3.connect(path, timeout=1)
    try:
        tables = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
        virtual = [name for name, sql in tables if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
        for table, _ in tables:
            if table.startswith("sqlite_") or table in virtual or any(table.startswith(v + "_") for v in virtual):
                continue
            try:
                columns = [row[1] for row in connection.execute(f"PRAGMA table_info({_quote_name(table)})")]
            except sqlite3.Error:
                continue
            for column in columns:
                t, c = _quote_name(table), _quote_name(column)
                setting = "?" if whole_cell else f"replace({c}, ?, ?)"
                params = (new, old) if whole_cell else (old, new, old)
                try:
                    cursor = connection.execute(
                        f"UPDATE {t} SET {c} = {setting} WHERE typeof({c}) = 'text' AND instr({c}, ?) > 0", params
                    )
                    changed += max(cursor.rowcount, 0)
                except sqlite3.Error:
                    continue
        connection.commit()
    except sqlite3.Error:
        return changed
    finally:
        connection.close()
    return changed


def poison_cache(cache: Path, old: str, new: str, *, whole_cell: bool = False) -> int:
    """Replace ``old`` by ``new`` (or, with whole_cell, the whole text cell by ``new``) in every
    text cell of every ordinary table of every SQLite file under ``cache`` (virtual tables and
    their shadow tables left alone); other files get a plain byte replacement. Returns cells changed."""
    changed = 0
    for path in sorted(p for p in cache.rglob("*") if p.is_file() and not p.is_symlink()):
        with path.open("rb") as handle:
            head = handle.read(16)
        if head == b"SQLite format 3\x00":
            changed += _poison_sqlite(path, old, new, whole_cell)
        else:
            data = path.read_bytes()
            if old.encode() in data and not whole_cell:
                path.write_bytes(data.replace(old.encode(), new.encode()))
                changed += 1
    return changed


def cache_files(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file() and not p.is_symlink())


#: The query the spec names, and a search (it reads every record, so damage anywhere shows).
CACHE_QUERIES = {
    "laos": LAOS_QUERY,
    "search": ["search", "railway", "--json"],
}


@pytest.fixture
def warm(tmp_path: Path) -> tuple[dict[str, str], Path, dict[str, Any]]:
    """The bundled knowledge's answers read from the YAML (--no-cache), then a cache built by a
    normal run; returns the environment, the cache directory and the right answers."""
    cache = tmp_path / "cache"
    env = make_env(tmp_path, cache)
    answers = {}
    for name, query in CACHE_QUERIES.items():
        r = run(["--no-cache", *query], env=env, cwd=tmp_path)
        assert r.code == 0, f"a --no-cache run must succeed:\n{r}"
        answers[name] = json.loads(r.stdout)
    assert RAILWAY in json.dumps(answers["laos"], ensure_ascii=False)
    assert not cache_files(cache), "--no-cache wrote a cache"
    for name, query in CACHE_QUERIES.items():
        r = run(query, env=env, cwd=tmp_path)
        assert r.code == 0 and json.loads(r.stdout) == answers[name], f"cached answer differs:\n{r}"
    assert cache_files(cache), "no cache was written to attack"
    return env, cache, answers


def _right_answers(env: dict[str, str], cwd: Path, answers: dict[str, Any]) -> None:
    for name, query in CACHE_QUERIES.items():
        r = run(query, env=env, cwd=cwd)
        assert r.code == 0, f"expected success:\n{r}"
        assert PWNED not in r.stdout and PWNED not in r.stderr, f"the poisoned cache was believed:\n{r}"
        assert len(r.stderr.splitlines()) <= 1, f"at most a one-line note on stderr:\n{r}"
        assert json.loads(r.stdout) == answers[name], f"the answer differs from the YAML's:\n{r}"


def _chown_tree(path: Path, uid: int) -> None:
    os.chown(path, uid, uid, follow_symlinks=False)
    for entry in path.rglob("*"):
        os.chown(entry, uid, uid, follow_symlinks=False)


@pytest.mark.parametrize("weakness", ["world-writable", "owned-by-nobody"])
def test_untrustworthy_cache_is_not_believed(tmp_path: Path, warm: Any, weakness: str) -> None:
    """A poisoned cache in a directory others can write (0777), or owned by another user (65534), is
    ignored: the answer is the YAML's (China-Laos Railway), never PWNED; exit 0."""
    env, cache, answers = warm
    assert poison_cache(cache, RAILWAY, PWNED) > 0, "could not find the project's name in the cache to poison"
    if weakness == "world-writable":
        cache.chmod(0o777)
    else:
        if not IS_ROOT:
            pytest.fail("changing a cache's owner needs root (the suite runs as root in CI)")
        _chown_tree(cache, 65534)
    _right_answers(env, tmp_path, answers)


def test_new_cache_directory_is_private_under_umask_000(tmp_path: Path) -> None:
    """Under umask 000 a cache directory that does not exist yet is created 0700 (or stricter)."""
    cache = tmp_path / "newcache"
    r = run(LAOS_QUERY, env=make_env(tmp_path, cache), cwd=tmp_path, setup=lambda: os.umask(0))
    assert r.code == 0, f"expected success:\n{r}"
    assert cache.is_dir(), "the cache directory was not created"
    mode = stat.S_IMODE(cache.stat().st_mode)
    assert mode & 0o077 == 0, f"cache directory mode {oct(mode)} is open to others"


def _corrupt_middle(cache: Path) -> None:
    rng = random.Random(1234)
    for path in cache_files(cache):
        size = path.stat().st_size
        with path.open("r+b") as handle:
            handle.seek(size // 2)
            handle.write(rng.randbytes(4096))


def _truncate_half(cache: Path) -> None:
    for path in cache_files(cache):
        os.truncate(path, path.stat().st_size // 2)


def _cells(replacement: str) -> Callable[[Path], None]:
    def damage(cache: Path) -> None:
        assert poison_cache(cache, RAILWAY, replacement, whole_cell=True) > 0, "no cell holds the project's name"

    return damage


DAMAGE = {
    "corrupt-middle": _corrupt_middle,
    "cell-not-json": _cells("{not json"),
    "cell-deep-json": _cells("[" * 3000 + "]" * 3000),
    "truncated-half": _truncate_half,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_cache_gives_the_right_answer(tmp_path: Path, warm: Any, damage: str) -> None:
    """A cache damaged in the middle, truncated, or holding cells that are not JSON or nest 3,000
    deep: the answer is still the YAML's, exit 0, no traceback."""
    env, cache, answers = warm
    DAMAGE[damage](cache)
    _right_answers(env, tmp_path, answers)


@pytest.mark.parametrize("how", ["in-place", "rename-over"])
def test_same_size_same_mtime_edit_is_seen(tmp_path: Path, how: str) -> None:
    """A knowledge file edited without changing its size, its mtime restored exactly (touch -r, cp -p,
    rsync -t): the next answer shows the new name, not the cached old one."""
    knowledge = write(tmp_path / "kn" / "mine.yaml", mini_yaml("Test Railway"))
    past = time.time_ns() - 3600 * 10**9  # well before the cache is written: no racy-mtime re-hash
    os.utime(knowledge, ns=(past, past))
    env = make_env(tmp_path)
    args = ["--no-bundled", "-k", str(knowledge), "projects", "--json"]
    first = run(args, env=env, cwd=tmp_path)
    assert first.code == 0 and [p["name"] for p in json.loads(first.stdout)] == ["Test Railway"], str(first)
    second_run = run(args, env=env, cwd=tmp_path)  # a second run: the cache is now surely in use
    assert second_run.code == 0, str(second_run)
    before = knowledge.stat()
    new_text = mini_yaml("Best Railway")
    assert len(new_text.encode()) == before.st_size
    if how == "in-place":
        with knowledge.open("r+b") as handle:
            handle.write(new_text.encode())
        os.utime(knowledge, ns=(before.st_atime_ns, before.st_mtime_ns))
    else:
        fresh = write(tmp_path / "kn" / ".mine.yaml.tmp", new_text)
        os.utime(fresh, ns=(before.st_atime_ns, before.st_mtime_ns))
        os.replace(fresh, knowledge)
    after = knowledge.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    r = run(args, env=env, cwd=tmp_path)
    assert r.code == 0, f"expected success:\n{r}"
    names = [p["name"] for p in json.loads(r.stdout)]
    assert names == ["Best Railway"], f"stale answer {names} from the cache:\n{r}"


# =====================================================================================================
# 4. Hostile knowledge files
# =====================================================================================================


def _load(tmp_path: Path, target: Any, *command: str, bundled: bool = False, timeout: float = TIMEOUT) -> Result:
    args = [*([] if bundled else ["--no-bundled"]), "-k", target, *(command or ("projects",))]
    return run(args, env=make_env(tmp_path), cwd=tmp_path, timeout=timeout)


def test_fifo_without_writer_does_not_block(tmp_path: Path) -> None:
    """A FIFO with no writer given with -k is refused at once (status 1, `path: message`), never read."""
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    r = _load(tmp_path, str(fifo))
    knowledge_error(r, labels_for(fifo, tmp_path))


@pytest.mark.parametrize("via", ["symlink", "direct"])
def test_dev_zero_is_refused(tmp_path: Path, via: str) -> None:
    """/dev/zero (through a symlink made in tmp_path, and directly) is refused, not read, under 1 GiB."""
    if via == "symlink":
        target = tmp_path / "zero.yaml"
        os.symlink("/dev/zero", target)
    else:
        target = Path("/dev/zero")
    r = _load(tmp_path, str(target))
    knowledge_error(r, labels_for(target, tmp_path, "/dev/zero"))


def test_symlink_loop_is_refused(tmp_path: Path) -> None:
    """A symlink loop given with -k: status 1 and a line naming it."""
    os.symlink(tmp_path / "b.yaml", tmp_path / "a.yaml")
    os.symlink(tmp_path / "a.yaml", tmp_path / "b.yaml")
    r = _load(tmp_path, str(tmp_path / "a.yaml"))
    knowledge_error(r, labels_for(tmp_path / "a.yaml", tmp_path))


def test_non_utf8_file_name_with_valid_content_works(tmp_path: Path) -> None:
    """A knowledge file named b'k\\xff.yaml' with valid content loads like any other (exit 0)."""
    name = os.fsencode(tmp_path) + b"/k\xff.yaml"
    with open(name, "wb") as handle:
        handle.write(mini_yaml("Byte Name Railway").encode())
    r = run(["--no-bundled", "-k", name, "projects", "--json"], env=make_env(tmp_path), cwd=tmp_path)
    assert r.code == 0, f"expected success:\n{r}"
    assert [p["name"] for p in json.loads(r.stdout)] == ["Byte Name Railway"]
    assert not raw_danger(r.stdout), f"raw undecodable bytes on stdout:\n{r}"


def test_non_utf8_file_name_with_syntax_error_is_escaped(tmp_path: Path) -> None:
    """The same name with a syntax error: its problem line shows the 0xff byte escaped, not raw."""
    text = mini_yaml() + "broken: [unclosed\n"
    name = os.fsencode(tmp_path) + b"/k\xff.yaml"
    with open(name, "wb") as handle:
        handle.write(text.encode())
    r = run(["--no-bundled", "-k", name, "projects"], env=make_env(tmp_path), cwd=tmp_path)
    assert r.code == 1, f"expected exit status 1:\n{r}"
    try:
        r.err.decode("utf-8")  # strict: no raw 0xff byte may reach the terminal
    except UnicodeDecodeError as error:
        raise AssertionError(f"stderr is not UTF-8 (a raw byte of the name?): {error}\n{r}") from None
    assert not raw_danger(r.stderr), f"raw dangerous characters on stderr:\n{r}"
    match = re.search(r"^(.*k(?:\\xff|\\udcff|\\U0000dcff|\ufffd)\.yaml):", r.stderr, re.MULTILINE | re.IGNORECASE)
    assert match, f"the file name is not shown with its byte escaped:\n{r}"
    knowledge_error(r, [match.group(1)], lines=(line_of(text, "broken:"), len(text.splitlines()) + 1))


def test_file_name_too_long_is_refused(tmp_path: Path) -> None:
    """A 300-character file name (ENAMETOOLONG): status 1 and a `path: message` line."""
    target = tmp_path / ("n" * 300 + ".yaml")
    r = _load(tmp_path, str(target))
    knowledge_error(r, labels_for(target, tmp_path))


def _figure(value: str) -> str:
    return f"""\
figures:
  - id: big-figure
    subject: "A number"
    value: {value}
    unit: percent
    countries: [laos]
{EVIDENCE}"""


NUMBERS = {
    "hex-5000-digits": "0x" + "f" * 5000,
    "decimal-5000-digits": "9" * 5000,
    "nan": ".nan",
    "inf": ".inf",
    "minus-inf": "-.inf",
    "float-overflow": "1.0e+309",
    "int-beyond-64-bits": "100000000000000000000000",
}


@pytest.mark.parametrize("case", list(NUMBERS))
def test_unrepresentable_numbers_are_refused_at_their_line(tmp_path: Path, case: str) -> None:
    """Huge integers (5,000 hex or decimal digits, 10^23), NaN, ±infinity and 1.0e+309: refused at the
    value's own line (not 1:1); never NaN or Infinity in JSON."""
    text = mini_yaml(extra=_figure(NUMBERS[case]))
    knowledge = write(tmp_path / "numbers.yaml", text)
    r = run(["--no-bundled", "-k", str(knowledge), "figures", "--json"], env=make_env(tmp_path), cwd=tmp_path)
    assert "NaN" not in r.stdout and "Infinity" not in r.stdout, f"non-JSON numbers on stdout:\n{r}"
    knowledge_error(r, labels_for(knowledge, tmp_path), line=line_of(text, "    value: " + NUMBERS[case][:10]))


def _sector_chain(depth: int, cycle: bool = False) -> str:
    rows = []
    for index in range(depth):
        parent = f"s{index - 1}" if index else (f"s{depth - 1}" if cycle else "transport")
        rows.append(f'  - {{id: s{index}, label: "S{index}", parent: {parent}}}\n')
    return "".join(rows)


@pytest.mark.parametrize(
    ("depth", "cycle"), [(1500, False), (20000, False), (20000, True)], ids=["chain-1500", "chain-20000", "cycle-20000"]
)
def test_deep_sector_chains_are_refused(tmp_path: Path, depth: int, cycle: bool) -> None:
    """Sector parent chains 1,500 and 20,000 deep, and a 20,000-long cycle: refused (status 1, a line in
    the sectors) by a depth limit and a linear cycle check; `cca sectors` never hits RecursionError."""
    text = mini_yaml(sectors=_sector_chain(depth, cycle))
    knowledge = write(tmp_path / "chain.yaml", text)
    r = _load(tmp_path, str(knowledge), "sectors")
    first, last = line_of(text, "sectors:"), line_of(text, "projects:")
    knowledge_error(r, labels_for(knowledge, tmp_path), lines=(first, last))


def test_directory_without_yaml_is_refused(tmp_path: Path) -> None:
    """A directory with no YAML files given with -k is refused (status 1, naming it), not 'ok'."""
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not knowledge\n")
    r = _load(tmp_path, str(empty), "validate", bundled=True)
    assert "ok:" not in r.stderr, f"an empty directory was accepted:\n{r}"
    knowledge_error(r, labels_for(empty, tmp_path))


def test_empty_knowledge_path_is_a_usage_error(tmp_path: Path) -> None:
    """`-k ''` is a usage error (2, one line) and loads nothing from the working directory."""
    write(tmp_path / "broken.yaml", "format: 1\nthis is: [not valid\n")
    r = run(["-k", "", "projects"], env=make_env(tmp_path), cwd=tmp_path)
    one_line_error(r, [2])
    assert "broken" not in r.stderr, f"YAML from the working directory was read:\n{r}"
    assert r.out == b""


def test_duplicate_iso_codes_with_homoglyph_name_are_refused(tmp_path: Path) -> None:
    """Two countries with iso2 LA / iso3 LAO, the second named with a Cyrillic 'а': duplicate ISO code."""
    second = """\
  - id: laos-bis
    name: "L\u0430os"
    official_name: "Lao People's Democratic Republic"
    iso2: "LA"
    iso3: "LAO"
"""
    text = mini_yaml(countries=second)
    knowledge = write(tmp_path / "iso.yaml", text)
    r = _load(tmp_path, str(knowledge), "countries")
    start = line_of(text, "id: laos-bis")
    knowledge_error(r, labels_for(knowledge, tmp_path), lines=(start, start + 4))


def test_alias_shared_by_two_countries_is_refused(tmp_path: Path) -> None:
    """The same alias on two countries is refused at the second."""
    extra = """\
  - id: thailand
    name: "Thailand"
    official_name: "Kingdom of Thailand"
    iso2: "TH"
    iso3: "THA"
    aliases: ["Golden Land"]
  - id: myanmar
    name: "Myanmar"
    official_name: "Republic of the Union of Myanmar"
    iso2: "MM"
    iso3: "MMR"
    aliases: ["Golden Land"]
"""
    text = mini_yaml(countries=extra)
    knowledge = write(tmp_path / "alias.yaml", text)
    r = _load(tmp_path, str(knowledge), "countries")
    start = line_of(text, "id: myanmar")
    knowledge_error(r, labels_for(knowledge, tmp_path), lines=(start, start + 5))


# =====================================================================================================
# 5. Streams and signals
# =====================================================================================================


def _close_fd(fd: int) -> Callable[[], None]:
    return lambda: os.close(fd)


def test_closed_stdout_exits_74(tmp_path: Path) -> None:
    """`cca projects >&-`: exit 74 and one line on stderr."""
    r = run(["projects"], env=make_env(tmp_path), cwd=tmp_path, stdout=None, setup=_close_fd(1))
    one_line_error(r, [74])


@pytest.mark.parametrize(
    "args",
    [["projects", "--country", "Laos", "--json"], ["projects", "--country", "France", "--json"]],
    ids=["plain", "with-note"],
)
def test_closed_stderr_on_success(tmp_path: Path, args: list[str]) -> None:
    """`2>&-` on success (also when a note would go to stderr): exit 0 and the same stdout as usual."""
    env = make_env(tmp_path)
    normal = run(args, env=env, cwd=tmp_path)
    assert normal.code == 0, str(normal)
    r = run(args, env=env, cwd=tmp_path, stderr=None, setup=_close_fd(2))
    assert r.code == 0, f"expected success with stderr closed:\n{r}"
    assert r.out == normal.out, f"stdout differs from a normal run:\n{r}"


def test_closed_stderr_on_usage_error(tmp_path: Path) -> None:
    """`2>&-` on a usage error: exit 2 and nothing on stdout."""
    r = run(
        ["projects", "--country", "Atlantis"], env=make_env(tmp_path), cwd=tmp_path, stderr=None, setup=_close_fd(2)
    )
    assert r.code == 2, f"expected exit status 2:\n{r}"
    assert r.out == b"", f"nothing may go to stdout:\n{r}"


@pytest.mark.parametrize(
    "args", [["projects"], ["projects", "--json"], ["show", "china-laos-railway"], ["countries", "--format", "table"]]
)
def test_stdout_dev_full_exits_74(tmp_path: Path, args: list[str]) -> None:
    """stdout is /dev/full (every write fails with ENOSPC): exit 74, exactly one line on stderr."""
    full = os.open("/dev/full", os.O_WRONLY)
    try:
        r = run(args, env=make_env(tmp_path), cwd=tmp_path, stdout=full)
    finally:
        os.close(full)
    one_line_error(r, [74])


def _generate(projects: int, path: Path) -> Path:
    """A synthetic knowledge file from the repository's bench/run.py generate() (loaded with importlib)."""
    if not BENCH.is_file():
        pytest.fail(f"bench/run.py not found at {BENCH}: set CCA_REPO to the repository root")
    spec = importlib.util.spec_from_file_location("cca_bench_run", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses and typing look their module up there
    spec.loader.exec_module(bench)
    bench.generate(projects, path)
    return path


@pytest.fixture(scope="session")
def big_knowledge(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 20,000 synthetic projects (13 MB; a first load takes several seconds): slow setup, once."""
    return _generate(20_000, tmp_path_factory.mktemp("big") / "big.yaml")


@pytest.fixture(scope="session")
def medium_knowledge(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """5,000 synthetic projects and a warm cache for them (slow setup, once): an export from it takes
    long enough to be interrupted while it writes."""
    base = tmp_path_factory.mktemp("medium")
    knowledge = _generate(5_000, base / "medium.yaml")
    cache = base / "cache"
    r = run(
        ["--no-bundled", "-k", str(knowledge), "projects", "--country", "Laos", "--json"],
        env=make_env(base, cache),
        cwd=base,
        timeout=120,
    )
    assert r.code == 0, str(r)
    return knowledge, cache


SIGNALS = {"SIGTERM": (signal.SIGTERM, 143), "SIGINT": (signal.SIGINT, 130)}


def _interrupt(
    args: list[Any], env: dict[str, str], cwd: Path, signum: int, when: Callable[[float], bool]
) -> tuple[Result, bool]:
    """Start cca, send ``signum`` once ``when(elapsed)`` holds; returns the result and whether it was sent."""
    started = time.monotonic()
    proc = subprocess.Popen(
        cca_command(args),
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_preexec(),
    )
    sent = False
    while proc.poll() is None and time.monotonic() - started < 60:
        if when(time.monotonic() - started):
            proc.send_signal(signum)
            sent = True
            break
        time.sleep(0.001)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        code = None
    return Result(args, code, out, err, time.monotonic() - started), sent


@pytest.mark.parametrize("name", list(SIGNALS))
@pytest.mark.parametrize("command", ["projects", "export"])
def test_signal_during_slow_first_load(tmp_path: Path, big_knowledge: Path, command: str, name: str) -> None:
    """SIGTERM / SIGINT 0.7 s into a first load of 20,000 projects (also under `export`): exit 143 / 130,
    at most one line on stderr, and no file left in the cache directory or the export directory."""
    signum, status = SIGNALS[name]
    cache = tmp_path / "cache"
    out = tmp_path / "out"
    out.mkdir()
    if command == "projects":
        args: list[Any] = ["--no-bundled", "-k", str(big_knowledge), "projects", "--country", "Laos", "--json"]
    else:
        args = ["--no-bundled", "-k", str(big_knowledge), "export", str(out / "kb.db"), "--format", "sqlite"]
    r, sent = _interrupt(args, make_env(tmp_path, cache), tmp_path, signum, lambda elapsed: elapsed >= 0.7)
    assert sent, f"cca finished before the signal:\n{r}"
    assert_sane(r, signalled=True)
    assert r.code == status, f"expected exit status {status} after {name}:\n{r}"
    assert len(r.stderr.splitlines()) <= 1, f"at most one line on stderr:\n{r}"
    left = [name for name in files_under(cache) if not (cache / name).is_dir()]
    assert left == [], f"left in the cache directory: {left}"
    assert files_under(out) == [], f"left in the export directory: {files_under(out)}"


@pytest.mark.parametrize("name", list(SIGNALS))
@pytest.mark.parametrize("fmt", ["sqlite", "json"])
def test_signal_while_export_writes(tmp_path: Path, medium_knowledge: tuple[Path, Path], fmt: str, name: str) -> None:
    """SIGTERM / SIGINT the moment an export (5,000 projects, warm cache) starts writing: exit 143 / 130
    and nothing left in the export directory but, at most, complete final files."""
    knowledge, cache = medium_knowledge
    signum, status = SIGNALS[name]
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"kb.{fmt}"
    cache_before = files_under(cache)
    args: list[Any] = ["--no-bundled", "-k", str(knowledge), "export", str(target), "--format", fmt]
    for _attempt in range(3):  # on a busy machine the write may finish between two polls: try again
        r, sent = _interrupt(args, make_env(tmp_path, cache), tmp_path, signum, lambda _: bool(os.listdir(out)))
        if sent or r.code != 0:
            break
        for leftover in out.iterdir():
            leftover.unlink()
    assert sent, f"the export finished before it could be interrupted (3 attempts):\n{r}"
    assert_sane(r, signalled=True)
    assert r.code == status, f"expected exit status {status} after {name}:\n{r}"
    left = files_under(out)
    finals = {target.name, target.name + ".metadata.json"}
    assert set(left) <= finals, f"temporary files left in the export directory: {left}"
    if target.name in left:  # the signal came after the rename: the file must be whole
        if fmt == "json":
            json.loads(target.read_text())
        else:
            with contextlib.closing(sqlite3.connect(target)) as db:
                assert db.execute("SELECT count(*) FROM projects").fetchone()[0] == 5000
    assert files_under(cache) == cache_before, f"left in the cache directory: {files_under(cache)}"


def test_yaml_with_ascii_stdout_is_valid_yaml(tmp_path: Path) -> None:
    """`show laos --format yaml` with PYTHONIOENCODING=ascii: valid YAML with the same data as --json."""
    env = make_env(tmp_path)
    reference = run(["show", "laos", "--json"], env=env, cwd=tmp_path)
    assert reference.code == 0, str(reference)
    r = run(["show", "laos", "--format", "yaml"], env=make_env(tmp_path, PYTHONIOENCODING="ascii"), cwd=tmp_path)
    assert r.code == 0, f"expected success:\n{r}"
    assert r.out.isascii(), f"non-ASCII bytes on an ASCII stdout:\n{r}"
    try:
        loaded = yaml.safe_load(r.stdout)
    except yaml.YAMLError as error:
        raise AssertionError(f"not valid YAML: {error}\n{r}") from None
    assert loaded == json.loads(reference.stdout), f"the YAML does not hold the same data as --json:\n{r}"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["projects", "--format", "table"], "China-Laos Railway"),
        (["countries", "--format", "table"], "Laos"),
        (["show", "china-laos-railway", "--format", "table"], "China-Laos Railway"),
        (["country", "Laos", "--format", "table"], "China-Laos Railway"),
        (["events", "--format", "table"], "17th CAEXPO"),
    ],
    ids=["projects", "countries", "show", "country", "events"],
)
def test_huge_columns_value(tmp_path: Path, args: list[str], expected: str) -> None:
    """COLUMNS=100000000: exit 0 under the 1 GiB limit, with the usual content."""
    r = run(args, env=make_env(tmp_path, COLUMNS="100000000"), cwd=tmp_path)
    assert r.code == 0, f"expected success:\n{r}"
    assert expected in r.stdout, f"{expected!r} missing from the output:\n{r}"


def test_ten_thousand_country_options(tmp_path: Path) -> None:
    """`-c France` repeated 10,000 times: answers (an empty list), without a hang."""
    args = ["projects", *(["-c", "France"] * 10_000), "--json"]
    r = run(args, env=make_env(tmp_path), cwd=tmp_path)
    assert r.code == 0, f"expected success:\n{r}"
    assert json.loads(r.stdout) == []
