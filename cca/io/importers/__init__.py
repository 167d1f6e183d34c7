"""Importers: datasets read into cca knowledge files in the user's knowledge directory.

An import writes one file, ``<data dir>/<name>.yaml``, in cca's own format (read, diff,
validate and edit it like any other), replacing an earlier import of that name in one step:
the new file is written beside the old, checked by loading it with everything else, and
only then takes the old one's place. Nothing is half-imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from cca.core.errors import QueryError
from cca.core.settings import Settings
from cca.io import safefile
from cca.io.importers import aiddata
from cca.io.importers.tables import check_file

#: Importers by the name the command line gives them.
IMPORTERS = ("aiddata",)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
#: Longest import name: a file name in the knowledge directory (with '.yaml' and a temporary's affixes).
_NAME_MAX = 100


class Summary(NamedTuple):
    path: Path
    rows: int
    imported: int
    skipped: list[str]
    countries_added: int


def target(settings: Settings, name: str) -> Path:
    """Where the import called ``name`` lives; the name must be a plain file stem."""
    if not name or not set(name) <= _NAME_CHARS or name.startswith(("-", ".")) or len(name) > _NAME_MAX:
        shown = safefile.describe(repr(name))
        raise QueryError(f"import name {shown}: use lower-case letters, digits, '-' and '_' (at most {_NAME_MAX})")
    if settings.data_dir is None:
        raise QueryError("imports live in the knowledge directory, which --no-data-dir (or CCA_NO_DATA_DIR) turns off")
    return settings.data_dir / f"{name}.yaml"


def places_for(settings: Settings, replacing: Path) -> aiddata.Places:
    """What an import needs from the knowledge present, leaving out the file it replaces."""
    from cca.core.kb import world_countries
    from cca.core.regions import regions
    from cca.io.load import load

    others = [p for p in imports(settings) if p.resolve() != replacing.resolve()]
    kb = load(settings=settings._replace(data_dir=None, knowledge=(*settings.knowledge, *others)))
    countries = {str(c.get("iso3")): c.id for c in kb.countries() if c.get("iso3")}
    world = {w.alpha3: (w.alpha2, w.name, w.other_names) for w in world_countries()}
    alpha3 = {w.alpha2: w.alpha3 for w in world_countries()}
    asean = next(region for region in regions() if region.id == "asean")
    selected = frozenset({alpha3[code] for code in asean.codes if code in alpha3} | {"TLS"})
    china = countries.get("CHN")
    if china is None:
        raise QueryError("the knowledge has no country record for China (ISO CHN), which every import names")
    sectors = aiddata.crs_sectors(settings.root / "crs-sectors.tsv")
    known = {s.id for s in kb.sectors()}
    missing = sorted(set(sectors.values()) - known)
    if missing:
        raise QueryError(f"the sector tree lacks {', '.join(missing)} (named in crs-sectors.tsv)")
    return aiddata.Places(countries, world, selected, sectors, china)


def imports(settings: Settings) -> list[Path]:
    """The knowledge files in the user's knowledge directory (imports among them)."""
    from cca.io.load import knowledge_files

    if settings.data_dir is None or not settings.data_dir.is_dir():
        return []
    return knowledge_files(settings.data_dir)


def import_aiddata(
    path: Path,
    label: str,
    settings: Settings,
    *,
    name: str = aiddata.NAME,
    every_recipient: bool = False,
    skip_bad_rows: bool = False,
    sheet: str | None = None,
    report: Callable[[str], None] | None = None,
) -> Summary:
    """Import a GCDF 3.0 workbook or CSV as ``<data dir>/<name>.yaml``; all or nothing."""
    from cca.io.formats import knowledge_text

    destination = target(settings, name)
    check_file(path, label)
    places = places_for(settings, destination)

    def progress(rows: int) -> None:
        if report is not None:
            report(f"read {rows:,} rows")

    imported = aiddata.read(
        path, label, places, every_recipient=every_recipient, skip_bad_rows=skip_bad_rows, sheet=sheet,
        progress=progress if report is not None else None,
    )  # fmt: skip
    comment = (
        f"Imported from {path.name} by 'cca import aiddata' ({imported.imported:,} of {imported.rows:,} rows).\n"
        f"{aiddata.DATASET}, Version {aiddata.VERSION}: {aiddata.LICENCE}.\n"
        f"Attribution: {aiddata.ATTRIBUTION}\n"
        "Replace it by importing again; remove it with: cca import --remove " + name
    )
    summary = Summary(
        destination, imported.rows, imported.imported, imported.skipped, len(imported.document["countries"])
    )
    texts = [knowledge_text(imported.document, comment=comment)]
    del imported  # the rows are in the text now: the load that checks it need not hold both
    if report is not None:
        report(f"writing {destination}")
    _replace_checked(destination, texts, settings, report)
    return summary


def _replace_checked(
    destination: Path, texts: list[str], settings: Settings, report: Callable[[str], None] | None
) -> None:
    """Put the text at ``destination`` only if the knowledge with it loads; else leave everything as it was.

    ``texts`` holds the one text, taken out as it is written so that the load does not hold it too.

    The new file is written under a hidden name (never loaded), swapped in by rename, and the
    whole knowledge loaded (which also builds the cache); any failure or signal before that
    succeeds puts the previous file back.
    """

    from cca.io.load import load

    safefile.writable_directory(destination.parent)
    safefile.check_target(destination, force=True)
    previous = destination.with_name(f".{destination.name}.previous")
    with safefile.signals_held():
        handle, staged = safefile.temporary_beside(destination)
    swapped = had_old = False
    try:
        os.fchmod(handle, 0o666 & ~safefile.umask())  # as any file the user makes, not mkstemp's 0600
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(texts.pop())  # and let it go before the load
        with safefile.signals_held():
            had_old = destination.exists()
            if had_old:
                os.replace(destination, previous)
            os.replace(staged, destination)
            swapped = True
        load(settings=settings, report=report)  # validates everything together, and builds the cache
    except BaseException:
        with safefile.signals_held():
            if swapped:
                if had_old:
                    os.replace(previous, destination)
                else:
                    destination.unlink(missing_ok=True)
            staged.unlink(missing_ok=True)
        raise
    with safefile.signals_held():
        previous.unlink(missing_ok=True)


def remove(settings: Settings, name: str) -> Path:
    """Remove the import called ``name`` (a regular file in the knowledge directory)."""
    path = target(settings, name)
    if not path.exists() and not path.is_symlink():
        present = ", ".join(p.stem for p in imports(settings)) or "none"
        raise QueryError(f"no import {name!r} in {settings.data_dir} (imports: {present})")
    if path.is_symlink() or not path.is_file():
        raise QueryError(f"{path} is not a regular file: cca removes only files it wrote")
    path.unlink()
    return path
