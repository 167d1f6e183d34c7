"""Regions a country filter can name: ASEAN, Lancang-Mekong (``data/regions.tsv``).

Membership is reference data, like ISO 3166 codes: general knowledge, not a sourced claim. A
record concerns a region when it concerns any current member, or when it names the region
itself in its ``regions`` field (an agreement between China and ASEAN as a whole).
"""

from functools import cache
from pathlib import Path
from typing import NamedTuple

from cca.core.settings import bundled_data_dir
from cca.core.text import compact


class Region(NamedTuple):
    id: str
    name: str
    other_names: tuple[str, ...]
    #: (ISO 3166-1 alpha-2 code, date joined) of each member, in the order they joined.
    members: tuple[tuple[str, str], ...]

    @property
    def codes(self) -> set[str]:
        return {code for code, _ in self.members}


@cache
def regions(data_root: Path | None = None) -> tuple[Region, ...]:
    rows = []
    for line in ((data_root or bundled_data_dir()) / "regions.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("id\t"):
            continue
        region_id, name, others, members = (line.split("\t") + ["", "", ""])[:4]
        pairs = tuple(
            (part.split(":")[0], part.split(":")[1] if ":" in part else "") for part in members.split("|") if part
        )
        rows.append(Region(region_id, name, tuple(o for o in others.split("|") if o), pairs))
    return tuple(rows)


def find(value: str) -> Region | None:
    """The region ``value`` names (its id, name or another name, in any case), or None."""
    wanted = compact(value)
    if not wanted:
        return None
    for region in regions():
        if wanted in {compact(n) for n in (region.id, region.name, *region.other_names)}:
            return region
    return None


def ids() -> set[str]:
    return {region.id for region in regions()}
