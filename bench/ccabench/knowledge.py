"""Synthetic knowledge in cca's own YAML format: projects spread like AidData's, read with ``-k FILE``."""

from __future__ import annotations

import hashlib
import inspect
import json
import random
from pathlib import Path

from ccabench.common import DATA_CACHE, ROOT, made

STATUSES = ["planned", "agreed", "under-construction", "in-progress", "completed", "operational", "suspended"]
SECTORS = [
    ("transport", None),
    ("railway", "transport"),
    ("road", "transport"),
    ("port", "transport"),
    ("energy", None),
    ("power-plant", "energy"),
    ("industry", None),
    ("steel", "industry"),
    ("agriculture", None),
    ("finance", None),
    ("health", None),
    ("digital-economy", None),
]
TYPES = ["railway", "expressway", "road", "port", "industrial-park", "plant", "manufacturing-base", "other"]
AGREEMENT_TYPES = ["bilateral-agreement", "joint-declaration", "free-trade-agreement", "initiative", "framework"]
FORMS = ["direct-quote", "reported", "narration"]
EXTRAS = 20  # agreements, statements and figures in every synthetic file: the bundled file's order of size


Country = tuple[str, str, str, str]  # id, alpha-2, alpha-3, name


def _countries() -> list[Country]:
    """Every ISO 3166 country, as (id, alpha-2, alpha-3, name)."""
    rows = []
    for line in (ROOT / "data" / "iso3166.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", "alpha2\t")) or not line.strip():
            continue
        alpha2, alpha3, name, _ = (line.split("\t") + [""])[:4]
        rows.append((f"c-{alpha2.lower()}", alpha2, alpha3, name))
    return rows


def _q(text: str) -> str:
    """A double-quoted YAML scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _evidence(quote: str) -> str:
    return f"[{{source: synthetic, quote: {_q(quote)}}}]"


def _header(used: list[Country]) -> list[str]:
    """The source, countries and sectors of a synthetic file."""
    out = [
        "format: 1",
        "sources:",
        "  - id: synthetic",
        "    title: Synthetic benchmark source",
        "    publisher: cca bench",
        '    date: "2024-01-01"',
        "countries:",
    ]
    for cid, alpha2, alpha3, name in used:
        out.append(f"  - {{id: {cid}, name: {_q(name)}, official_name: {_q(name)}, iso2: {alpha2}, iso3: {alpha3}}}")
    out.append("sectors:")
    for sid, parent in SECTORS:
        label = _q(sid.replace("-", " ").title())
        out.append(f"  - {{id: {sid}, label: {label}" + (f", parent: {parent}" if parent else "") + "}")
    return out


def _project(i: int, country: str, rng: random.Random) -> list[str]:
    """One project record, shaped like an AidData one: status, progress, financing, evidence."""
    year = rng.randint(2000, 2023)
    quote = f"Project {i} was {rng.choice(STATUSES)} in {year}."
    return [
        f"  - id: proj-{i:06d}",
        f"    name: {_q(f'Project {i} ({rng.choice(TYPES)})')}",
        f"    type: {rng.choice(TYPES)}",
        f"    countries: [c-cn, {country}]",
        f"    sectors: [{rng.choice(SECTORS)[0]}]",
        f"    summary: {_q(f'Synthetic record {i}, committed in {year}.')}",
        "    status:",
        f"      - value: {rng.choice(STATUSES)}",
        f'        as_of: "{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"',
        f"        evidence: {_evidence(quote)}",
        "    progress:",
        f'      - {{metric: overall, value: {rng.randint(0, 100)}, unit: percent, as_of: "{year}-12-31", '
        f"evidence: {_evidence(quote)}}}",
        f"    financing: [{{amount: {rng.randint(1, 5000) * 100000}, currency: USD, year: {year}, kind: loan}}]",
        f"    evidence: {_evidence(quote)}",
    ]


def _extras(recipients: list[str], count: int, rng: random.Random) -> list[str]:
    """A few agreements, statements and figures, as many at every size (as in the bundled file)."""
    out = ["agreements:"]
    for i in range(count):
        country = "c-la" if i % 5 == 0 else rng.choice(recipients)
        out.append(
            f"  - {{id: agr-{i:03d}, name: {_q(f'Agreement {i}')}, type: {AGREEMENT_TYPES[i % len(AGREEMENT_TYPES)]}, "
            f'countries: [c-cn, {country}], date: "{2000 + i}", evidence: {_evidence(f"Agreement {i} was signed.")}}}'
        )
    out += [
        "people:",
        f"  - {{id: per-000, name: A Minister, roles: [{{title: Minister}}], evidence: {_evidence('A minister.')}}}",
        "statements:",
    ]
    for i in range(count):
        form = FORMS[i % len(FORMS)]
        person = "" if form == "narration" else "person: per-000, "
        out.append(
            f"  - {{id: stm-{i:03d}, {person}form: {form}, summary: {_q(f'Statement {i} on project {i}.')}, "
            f"about: [proj-{i:06d}], evidence: {_evidence(f'Statement {i} was made.')}}}"
        )
    out.append("figures:")
    for i in range(count):  # about project i, whose recipient is recipients[i]
        out.append(
            f"  - {{id: fig-{i:03d}, subject: {_q(f'Length of project {i}')}, value: {rng.randint(1, 900)}, unit: km, "
            f"about: [proj-{i:06d}], countries: [c-cn, {recipients[i]}], evidence: {_evidence(f'Project {i}: long.')}}}"
        )
    return out


def generate(projects: int, path: Path) -> None:
    """A deterministic knowledge file that passes `cca validate`, shaped like real records.

    Projects spread over 165 countries, as in AidData's dataset of Chinese development
    finance; Laos gets an average share. Agreements, statements and figures stay few.
    """
    rng = random.Random(20210304 + projects)
    countries = _countries()
    others = [c for c in countries if c[1] not in ("LA", "CN")]
    used = [c for c in countries if c[1] in ("LA", "CN")] + rng.sample(others, 163)
    recipients = [c[0] for c in used if c[1] != "CN"]
    out = _header(used) + ["projects:"]
    for i in range(projects):
        country = recipients[i % len(recipients)] if i < len(recipients) else rng.choice(recipients)
        out += _project(i, country, rng)
    out += _extras(recipients, min(EXTRAS, projects), rng)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def dump_json(yaml_path: Path, json_path: Path) -> None:
    """The same records as JSON, read with cca's own reader (cca.io.yaml)."""
    from cca.io import yaml as reader

    data = reader.parse(yaml_path.read_text(encoding="utf-8"), str(yaml_path))
    json_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _generator_key() -> str:
    """Changes whenever the generated files would: the generator's code and the country list."""
    digest = hashlib.sha256((ROOT / "data" / "iso3166.tsv").read_bytes())
    for function in (_countries, _q, _evidence, _header, _project, _extras, generate):
        digest.update(inspect.getsource(function).encode())
    digest.update(repr((STATUSES, SECTORS, TYPES, AGREEMENT_TYPES, FORMS, EXTRAS)).encode())
    return digest.hexdigest()[:12]


def synthetic(size: int) -> tuple[Path, Path]:
    """The YAML file of `size` projects and its JSON twin, generated once and kept under /tmp (see common.made)."""
    folder = DATA_CACHE / _generator_key()
    yaml_path = made(folder / f"knowledge-{size}.yaml", "--generate", str(size))
    return yaml_path, made(folder / f"knowledge-{size}.json", "--dump-json", str(yaml_path))


def dump_pyyaml(json_path: Path, yaml_path: Path) -> None:
    """The records of a JSON file as PyYAML's ``safe_dump`` writes them by default (lists not indented)."""
    import yaml

    data = json.loads(json_path.read_text(encoding="utf-8"))
    with yaml_path.open("w", encoding="utf-8") as handle:
        yaml.safe_dump(data, handle, sort_keys=False, allow_unicode=True)


def pyyaml_layout(size: int) -> tuple[Path, Path]:
    """The synthetic file of `size` projects as PyYAML writes it, and its JSON twin (the same records)."""
    _, json_path = synthetic(size)
    key = hashlib.sha256(inspect.getsource(dump_pyyaml).encode()).hexdigest()[:8]
    return made(json_path.with_name(f"knowledge-{size}-pyyaml-{key}.yaml"), "--pyyaml", str(json_path)), json_path
