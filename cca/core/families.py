"""Families of dataset rows: the records a dataset says belong together.

AidData groups the records of one project under an ``AidData Parent ID`` (the importer keeps it as
``dataset.groups``) and names a related record in a title or in its Staff Comments as
"(Linked to Project ID#33469)". A record's family is every record that shares a group with it, that
it names that way, or that names it. :func:`keys` gives a record's side of that relation as keys
the store indexes; two records are family when they share a key (never two ``self`` keys).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

#: "Project ID#33469", "project ID# 33469", "ID#33469": a record number the row names.
_NAMED = re.compile(r"\bID\s*#\s*(\d{1,12})\b", re.IGNORECASE)

#: Where a row can name another, with what that is called.
_WHERE = (("name", "linked-title"), ("Staff Comments", "linked-comments"))


def keys(record: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """``(key, how)`` for each tie of a dataset row: ``group``, ``self``, ``linked-title``, ``linked-comments``."""
    dataset = record.get("dataset")
    if not isinstance(dataset, Mapping) or not isinstance(dataset.get("source"), str):
        return
    source = dataset["source"]
    for group in dataset.get("groups") or ():
        yield f"{source}:group:{group}", "group"
    own = str(dataset.get("record") or "")
    if own:
        yield f"{source}:record:{own}", "self"
    fields = dataset.get("fields")
    fields = fields if isinstance(fields, Mapping) else {}
    seen = {own}
    for field, how in _WHERE:
        text = record.get(field) if field == "name" else fields.get(field)
        for number in _NAMED.findall(text) if isinstance(text, str) else ():
            if number not in seen:
                seen.add(number)
                yield f"{source}:record:{number}", how


def relation(mine: str, theirs: str, key: str) -> str | None:
    """How a family member is related, told from the two sides of the key they share (None: not family)."""
    if mine == "group" and theirs == "group":
        return f"same parent group {key.rsplit(':', 1)[-1]}"
    if theirs == "self" and mine.startswith("linked-"):
        return "named in this record's " + ("title" if mine == "linked-title" else "Staff Comments")
    if mine == "self" and theirs.startswith("linked-"):
        return "names this record in its " + ("title" if theirs == "linked-title" else "Staff Comments")
    return None
