"""``cca import aiddata``: AidData's Global Chinese Development Finance Dataset, whichever version a file is.

The version is told by the file's header (:func:`cca.io.importers.gcdf_versions.detect`): GCDF 3.0
is read by :mod:`cca.io.importers.aiddata` (with its ADM1/ADM2 location files, ``--locations``), 2.0
by :mod:`cca.io.importers.gcdf_versions`. Each version is its own import (``aiddata``, ``aiddata2``)
citing its own source (``aiddata-gcdf-3``, ``aiddata-gcdf-2``), so importing both keeps them apart;
their amounts are in different price bases (``usd_2021``, ``usd_2017``) and never summed together.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cca.core.errors import DatasetError, Problem, QueryError
from cca.io.importers import Converted, Edition, ImportContext, ImportOptions, Tally, register
from cca.io.importers import gcdf_versions as v2
from cca.io.importers.aiddata import (
    DATASET,
    LICENCE,
    NAME,
    PUBLISHER,
    SOURCE_ID,
    AidData,
    crs_sectors,
)
from cca.io.importers.tables import WORKBOOKS, open_table


class GCDF(AidData):
    """AidData's GCDF 3.0 or 2.0, read from its workbook or a CSV of its data sheet."""

    reads = "the .xlsx workbook or a CSV of its data sheet (GCDF 3.0, or 2.0); with --locations, 3.0's ADM1/ADM2 files"

    def sources(self) -> list[dict[str, Any]]:
        """GCDF 3.0's source record, and 2.0's: an import cites the one its file is."""
        version_2 = {
            "id": v2.V2_SOURCE_ID,
            "title": f"{DATASET}, Version {v2.V2_VERSION}",
            "publisher": PUBLISHER,
            "date": v2.V2_RELEASE,
            "url": v2.V2_URL,
            "dataset": {"name": DATASET, "version": v2.V2_VERSION, "importer": NAME, "licence": LICENCE,
                        "attribution": v2.V2_ATTRIBUTION},
            "notes": "Version 2.0 (2000-2017 commitments, amounts in constant 2017 US dollars). AidData says its "
            "versions are not directly comparable, so 2.0 rows keep their own ids (aiddata2-<TUFF id>) and "
            "amounts (usd_2017), never summed with 3.0's. The release date, URL and attribution are AidData's "
            "description of the dataset, not values from a file.",
        }  # fmt: skip
        return [self.source(), version_2]

    def edition(self, path: Path, label: str, options: ImportOptions) -> Edition:
        """3.0 or 2.0, from the header: each is its own import (``aiddata``, ``aiddata2``) citing its own source."""
        if len(options.sheets) > 1:
            raise QueryError("aiddata reads one sheet: give {sheet} once", params=["sheet"])
        if version_of(path, label, options.sheet) == "2.0":
            return Edition(v2.V2_NAME, v2.V2_SOURCE_ID, f"{DATASET}, Version {v2.V2_VERSION}")
        return Edition(NAME, SOURCE_ID, self.title)

    def read(
        self, path: Path, label: str, context: ImportContext, options: ImportOptions, tally: Tally
    ) -> Iterator[Converted]:
        if version_of(path, label, options.sheet) != "2.0":
            yield from super().read(path, label, context, options, tally)
            return
        if options.locations:
            raise QueryError(
                "{locations}: the ADM1/ADM2 location files are GCDF 3.0's; this file is GCDF 2.0", params=["locations"]
            )
        sectors = crs_sectors(context.root / "crs-sectors.tsv")
        missing = sorted(set(sectors.values()) - set(context.sectors))
        if missing:
            raise DatasetError(f"the sector tree lacks {', '.join(missing)} (named in crs-sectors.tsv)")
        for record, number in _read_v2(path, label, context, sectors, options, tally):
            yield Converted("projects", record, number)


def version_of(path: Path, label: str, sheet: str | None) -> str:
    """ "3.0" or "2.0": a workbook's data sheet (GCDF_3.0, else Global_CDF2.0, unless --sheet says), or a CSV."""
    if sheet is None and path.suffix.lower() in WORKBOOKS:
        from cca.io.importers.xlsx import sheet_names

        names = sheet_names(path, label)
        if "GCDF_3.0" not in names and v2.V2_SHEET in names:
            sheet = v2.V2_SHEET
    table = open_table(path, label, sheet)
    try:
        return v2.detect(table.header, label)
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()


def _read_v2(
    path: Path,
    label: str,
    context: ImportContext,
    sectors: Mapping[int, str],
    options: ImportOptions,
    tally: Tally,
) -> Iterator[tuple[dict[str, Any], int]]:
    """GCDF 2.0's rows, selected as 3.0's are (recipients in ASEAN and Timor-Leste unless --all)."""
    from cca.io.importers.layout import Names

    selected = {context.countries[code] for code in context.selected if code in context.countries}
    unmatched: dict[str, list[int]] = {}
    skipped: list[Problem] | None = [] if options.skip_bad_rows else None
    sheet = options.sheet or (v2.V2_SHEET if v2.is_workbook(path) else None)
    tally.details["version"] = v2.V2_VERSION
    if sheet and v2.is_workbook(path):
        tally.details["sheet"] = sheet
    tally.details["selection"] = "every recipient" if options.every_recipient else "recipients in ASEAN and Timor-Leste"
    if not options.every_recipient:
        tally.selected = "rows whose recipient is in ASEAN or Timor-Leste"
        tally.outside_why = "their recipient is outside ASEAN and Timor-Leste (or not a country cca knows)"
        tally.widen = "{every_recipient} imports every recipient"
    for number, record in v2.numbered_v2(
        path, label, china=context.china, sectors=sectors, countries=Names(context.names), sheet=sheet,
        unmatched=unmatched, problems=skipped,
    ):  # fmt: skip
        tally.rows += 1
        if record is None:
            continue
        others = [c for c in record["countries"] if c != context.china]
        if not options.every_recipient and not (set(others) & selected):
            tally.outside += 1
            continue
        tally.imported += 1
        yield record, number
    if skipped:
        tally.skipped += [str(problem) for problem in skipped]
    if unmatched:
        tally.details["unmatched_recipients"] = {name: rows[:20] for name, rows in sorted(unmatched.items())}
        if options.every_recipient:
            tally.notes.append(
                "recipients cca knows no country by (kept, named in dataset.recipient): "
                + "; ".join(
                    f"{name} (rows {', '.join(map(str, rows[:5]))}{', ...' if len(rows) > 5 else ''})"
                    for name, rows in sorted(unmatched.items())
                )  # fmt: skip
            )


IMPORTER = register(GCDF())
