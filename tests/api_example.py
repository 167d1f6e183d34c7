import cca

kb = cca.load()  # the bundled knowledge; cca.load(settings=cca.Settings.from_environ()) as the CLI sees it
for project in kb.projects(country="Laos"):
    status = project.status
    if status is not None:
        print(project.name, status.value, "as of", status.as_of or f"(reported {status.reported})")
    for figure in project.progress:
        print(f"  {figure.value} {figure.unit} {figure.metric}, reported {figure.reported}")

railways = kb.projects(sector="railway", status="under-construction", region="asean")
agreements = kb.agreements(region="mekong")
said = [(s.form, s.quotes) for s in kb.statements(person="Qin Rupei")]
laos = kb.country("Lao PDR")  # a CountryProfile: the country and every section cca country shows
print(laos.country.iso3, len(laos.projects), len(laos.figures))
hits = kb.search("win-win", limit=3)  # names before prose, whole words before beginnings
record = kb.get("rcep")
assert record is not None
print(record.kind, record.name, record.evidence[0].quote)
