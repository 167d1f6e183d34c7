"""The world's countries (ISO 3166-1, and the codes datasets use beside them): reference data, not claims.

A dataset row names its recipient by ISO-3 code; a country the knowledge has no record of
is still a country: :func:`reference_record` gives it a record of reference data (names and
codes, no evidence, as for any country), made when some record names it.
"""

import re
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from cca.core.settings import bundled_data_dir


class WorldCountry(NamedTuple):
    """A real country (ISO 3166-1), whether or not the knowledge has records for it."""

    alpha2: str
    alpha3: str
    name: str
    other_names: tuple[str, ...]


@cache
def world_countries(data_root: Path | None = None) -> tuple[WorldCountry, ...]:
    """Every ISO 3166-1 country (and the codes datasets use beside them, such as XKX), from the bundled table."""
    rows = []
    table = (data_root or bundled_data_dir()) / "iso3166.tsv"
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or line.startswith("alpha2\t") or not line.strip():
            continue
        alpha2, alpha3, name, others = (line.split("\t") + [""])[:4]
        rows.append(WorldCountry(alpha2, alpha3, name, tuple(o for o in others.split("|") if o)))
    return tuple(rows)


def country_id(name: str) -> str:
    """The id cca gives a country by its name: 'Viet Nam' -> 'viet-nam'."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "country"


@cache
def by_id() -> dict[str, WorldCountry]:
    return {country_id(world.name): world for world in world_countries()}


def reference_record(record_id: str) -> dict[str, Any] | None:
    """The record of the country with this id (as :func:`country_id` makes it), or None."""
    found = by_id().get(record_id)
    if found is None:
        return None
    return {
        "id": record_id,
        "name": found.name,
        "official_name": found.name,
        "iso2": found.alpha2,
        "iso3": found.alpha3,
    }
