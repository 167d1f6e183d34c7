"""Importers: public dataset formats, each a module that registers itself here.

An importer (:class:`Importer`) says what it reads and turns a file's rows into records; it
registers itself (``register(...)`` at the end of its module) and nothing else names it. The
pipeline that runs any importer (locking, streaming into the store, checking, replacing
atomically, listing, removing) is :mod:`cca.io.importing`.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from cca.core.errors import QueryError


class ImportOptions(NamedTuple):
    """What the command line (or a caller) asks of one import."""

    every_recipient: bool = False
    skip_bad_rows: bool = False
    sheet: str | None = None
    name: str | None = None
    #: A record id another import holds already: this import's row wins (else: an error naming both).
    replace: bool = False
    #: More sheets of a workbook, for an importer that reads several (``sheet`` is the first).
    sheets: tuple[str, ...] = ()
    #: Files read beside the dataset and joined to its rows (GCDF 3.0's ADM1 and ADM2 location files).
    locations: tuple[str, ...] = ()


class ImportContext(NamedTuple):
    """What an importer needs to know of the knowledge already there."""

    #: ISO 3166-1 alpha-3 -> country id, for every country (records of the knowledge, and the rest of ISO 3166).
    countries: Mapping[str, str]
    #: A country's name, official name or alias, folded -> its id.
    names: Mapping[str, str]
    #: Alpha-3 codes imported without --all: ASEAN members and Timor-Leste.
    selected: frozenset[str]
    #: The id of China's country record (the financier of every dataset row).
    china: str
    #: Ids of the sectors of the knowledge's tree.
    sectors: frozenset[str]
    #: The bundled data directory (reference tables such as crs-sectors.tsv).
    root: Path


class Converted(NamedTuple):
    """One record an importer made: its section of the knowledge format, and the dataset row it came from."""

    section: str
    record: dict[str, Any]
    row: int


class Tally:
    """What an import counted as its rows streamed by (the importer fills it in)."""

    def __init__(self) -> None:
        self.rows = 0
        self.imported = 0
        #: Rows read but not selected (recipients outside ASEAN, without --all).
        self.outside = 0
        #: With --skip-bad-rows: each problem of a skipped row.
        self.skipped: list[str] = []
        #: What the import adds to its provenance (the sheet read, the selection...).
        self.details: dict[str, Any] = {}
        #: What the import has to say once it is done, one line each (names it could not match, ...).
        self.notes: list[str] = []
        #: Which rows the import selects ("whose recipient is in ASEAN or Timor-Leste"), why the others are left
        #: out, and how to take them (naming a parameter of ImportOptions as ``{every_recipient}``).
        self.selected = "selected"
        self.outside_why = "not selected"
        self.widen = ""


class Edition(NamedTuple):
    """Which dataset a file is, when one importer reads several (GCDF 3.0 and 2.0): what its import is
    called by default, which source its rows cite, and what it is."""

    name: str
    source_id: str
    title: str


class Importer(Protocol):
    """A dataset format cca imports."""

    #: Its name on the command line: ``cca import NAME FILE``.
    name: str
    #: What it is: "AidData's GCDF 3.0".
    title: str
    #: What files it reads, for help and messages.
    reads: str
    #: The id of the dataset's source record.
    source_id: str

    def source(self) -> dict[str, Any]:
        """The dataset's source record: title, publisher, date, URL, licence, the citation it asks for."""
        ...

    def read(
        self, path: Path, label: str, context: ImportContext, options: ImportOptions, tally: Tally
    ) -> Iterator[Converted]:
        """The records of the file's rows, as they are read; bad cells raise ``BadCells`` (``FILE:ROW:COL``)."""
        ...


# An importer may also define (the pipeline looks for them, and does without):
#
# * ``edition(path, label, options) -> Edition``: which of the datasets it reads the file is, from its
#   header, before any row is read: imports of two editions keep two names and cite two sources;
# * ``sources() -> list[dict]``: every source record its rows may cite (default: ``[source()]``);
# * ``unit_files: str``: the administrative-unit files it joins with ``--locations`` (``{level}`` stands for
#   ADM1 or ADM2), for the hint when no record has units.


def edition(importer: Importer, path: Path, label: str, options: ImportOptions) -> Edition:
    """The dataset a file is, as its importer tells (an importer of one dataset: that one)."""
    tell = getattr(importer, "edition", None)
    if tell is None:
        return Edition(importer.name, importer.source_id, importer.title)
    found: Edition = tell(path, label, options)
    return found


IMPORTERS: dict[str, Importer] = {}
#: Modules of this package that hold no importer (readers and helpers the importers share).
_HELPERS = frozenset({"tables", "xlsx", "cells", "layout", "locations", "gcdf_versions", "aiddata"})


def register(importer: Importer) -> Importer:
    """Add an importer (each importer module calls this once, at its end)."""
    if importer.name in IMPORTERS and IMPORTERS[importer.name] is not importer:
        raise ValueError(f"importer {importer.name!r} is registered already")
    IMPORTERS[importer.name] = importer
    return importer


def unregister(name: str) -> None:
    del IMPORTERS[name]


def available() -> list[Importer]:
    """Every importer: those registered, after importing each importer module of this package once."""
    import importlib

    for module in pkgutil.iter_modules(__path__):
        if module.name not in _HELPERS and not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return sorted(IMPORTERS.values(), key=lambda importer: importer.name)


def find(name: str) -> Importer:
    from cca.core.kb import did_you_mean

    importers = {importer.name: importer for importer in available()}
    found = importers.get(name.strip().lower())
    if found is None:
        known = sorted(importers)
        raise QueryError(f"no importer {name!r}{did_you_mean(name, known, n=1)}; importers: {', '.join(known)}")
    return found


def citing(source_ids: Iterable[str]) -> list[str]:
    """The names of the importers whose rows cite any of these sources (for a hint: ``cca import NAME``)."""
    wanted = set(source_ids)
    return [importer.name for importer in available() if wanted & {source["id"] for source in _sources(importer)}]


def unit_importers() -> list[tuple[str, str]]:
    """(name, unit files) of each importer that joins administrative units to its rows (``--locations``)."""
    return [(importer.name, files) for importer in available() if (files := getattr(importer, "unit_files", None))]


def _sources(importer: Importer) -> list[dict[str, Any]]:
    every = getattr(importer, "sources", None)
    found: list[dict[str, Any]] = every() if every is not None else [importer.source()]
    return found


def reference_sources() -> dict[str, dict[str, Any]]:
    """The source record of every importer's dataset, by id: the knowledge has one however many files import it."""
    return {str(record["id"]): record for importer in available() for record in _sources(importer)}
