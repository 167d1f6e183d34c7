"""Links between sources (issues 17 and 20): confirm and reject them, suggestions that rank right, at a bounded cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cca.core import schema as cca_schema
from cca.io import yaml as reader

# -- a file holding only `updates:` is a knowledge file ---------------------------------------------------

ONLY_UPDATES = {
    "block": "updates:\n  - id: china-laos-railway\n    same_as: [aiddata-990001]\n",
    "flow": "updates: [{id: china-laos-railway, same_as: [aiddata-990001]}]\n",
}


@pytest.mark.parametrize("layout", sorted(ONLY_UPDATES))
def test_format_is_optional_for_both_readers_and_the_schema(layout: str) -> None:
    text = ONLY_UPDATES[layout]
    document = reader.parse(text, "links.yaml")
    assert cca_schema.validate(document, "links.yaml") == []
    items: list[Any] = []
    if layout == "block":  # the fast reader takes it as it is (a flow list goes to the reference reader)
        skeleton = reader.parse_items_fast(text, lambda *a: items.append(a[2]))
        assert skeleton == {"updates": []} and items == document["updates"]
        assert cca_schema.FastCheck(cca_schema.knowledge_schema()).item("updates", items[0])
    else:
        with pytest.raises(reader.Unsuitable):
            reader.parse_items_fast(text, lambda *a: items.append(a[2]))


def test_a_wrong_format_is_still_refused() -> None:
    problems = cca_schema.validate(reader.parse("format: 2\nupdates: []\n", "k.yaml"), "k.yaml")
    assert [p.message for p in problems] == ["format: 2 is not one of: 1"]
