"""``cca link suggest --datasets``: contract-loan pairs between two datasets (:mod:`cca.core.pairs`), as a listing.

Kept apart from the suggestions of curated projects (:func:`cca.cli.answers.link_suggestions`): it
plugs into the ``link`` command by one option and one branch of its dispatch.
"""

from __future__ import annotations

from cca.cli.output import Out, View, listing
from cca.core.kb import KnowledgeBase

FIELDS = ["contract", "loan", "score", "country", "contract_year", "loan_year", "contractor", "party",
          "contract_name", "loan_name"]  # fmt: skip


def dataset_pairs(kb: KnowledgeBase, out: Out, min_score: int) -> None:
    """Construction contracts and loans (each side's datasets: :mod:`cca.core.pairs`) that may be one project."""
    from cca.core.pairs import CONTRACTS, LOANS, suggest
    from cca.io.importers import citing

    rows = [
        {
            "contract": pair.contract,
            "loan": pair.loan,
            "score": pair.score,
            "country": pair.country,
            "contract_year": pair.years[0],
            "loan_year": pair.years[1],
            "contractor": pair.entity[0],
            "party": pair.entity[1] or None,
            "contract_name": pair.contract_name,
            "loan_name": pair.loan_name,
        }
        for pair in suggest(kb, min_score)
    ]
    columns = [
        View("contract", CONTRACTS.title, "id"),
        View("score", "Score", "count", 2),
        View("loan", LOANS.title, "id"),
        View("contractor", "Contractor", "prose", 2),
        View("party", "In the loan as", "prose", 2, answer=True),
        View("loan_name", "The loan", "prose", 3),
    ]
    listing(
        out,
        rows,
        lambda: FIELDS,
        columns,
        title="Possible links between datasets: construction contracts and loans",
        caption="Same country, years at most one apart, related sectors; scored by the contractor among the loan's "
        "parties, the sector, the year and the amounts. To confirm one, add to a knowledge file of yours: "
        "updates: [{id: CONTRACT, same_as: [LOAN]}]",
        empty="no construction contract looks like a loan of another dataset (import both: "
        + ", ".join(f"cca import {name}" for name in [*citing(CONTRACTS.sources), *citing(LOANS.sources)])
        + ")",
    )
