"""Synthetic CSV in AidData's GCDF 3.0 layout (126 columns), for tests and benchmarks.

    python generate_gcdf.py 21000 out.csv [--seed 0]

Standard library only and deterministic: the same (rows, seed) always gives the same bytes.
All records are invented (Record IDs from 2000001, group IDs from 20001, URLs on
example.org / example.com / example.net). The cell formats copy the pandas export of the
real sheet: UTF-8 without BOM, LF line endings, csv.QUOTE_MINIMAL, empty string for a
missing value, ``2021`` for the gap-free integer columns, ``2021.0`` / ``6558437637.0``
for float columns, ``YYYY-MM-DD`` dates and ``|``-joined lists.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path

COLUMNS = [
    "AidData Record ID",
    "Recommended For Aggregates",
    "AidData Parent ID",
    "Umbrella",
    "Financier Country",
    "Recipient",
    "Recipient ISO-3",
    "Recipient Region",
    "Commitment Year",
    "Implementation Start Year",
    "Completion Year",
    "Title",
    "Description",
    "Staff Comments",
    "Status",
    "Intent",
    "Flow Type",
    "Flow Type Simplified",
    "OECD ODA Concessionality Threshold",
    "Flow Class",
    "Sector Code",
    "Sector Name",
    "Infrastructure",
    "COVID",
    "Funding Agencies",
    "Funding Agencies Type",
    "Co-financed",
    "Co-financing Agencies",
    "Co-financing Agencies Type",
    "Direct Receiving Agencies",
    "Direct Receiving Agencies Type",
    "Indirect Receiving Agencies",
    "Indirect Receiving Agencies Type",
    "On-lending",
    "Implementing Agencies",
    "Implementing Agencies Type",
    "Guarantee Provided",
    "Guarantor",
    "Guarantor Agency Type",
    "Insurance Provided",
    "Insurance Provider",
    "Insurance Provider Agency Type",
    "Collateralized",
    "Collateral Provider",
    "Collateral Provider Agency Type",
    "Security Agent/Collateral Agent",
    "Security Agent/Collateral Agent Type",
    "Collateral",
    "Amount (Original Currency)",
    "Original Currency",
    "Amount Estimated",
    "Amount (Constant USD 2021)",
    "Amount (Nominal USD)",
    "Adjusted Amount (Original Currency)",
    "Adjusted Amount (Constant USD 2021)",
    "Adjusted Amount (Nominal USD)",
    "Financial Distress",
    "Commitment Date (MM/DD/YYYY)",
    "Commitment Date Estimated",
    "Planned Implementation Start Date (MM/DD/YYYY)",
    "Actual Implementation Start Date (MM/DD/YYYY)",
    "Actual Implementation Start Date Estimated",
    "Deviation from Planned Implementation Start Date",
    "Planned Completion Date (MM/DD/YYYY)",
    "Actual Completion Date (MM/DD/YYYY)",
    "Actual Completion Date Estimated",
    "Deviation from Planned Completion Date",
    "Maturity",
    "Interest Rate",
    "Grace Period",
    "Management Fee",
    "Commitment Fee",
    "Insurance Fee (Percent)",
    "Insurance Fee (Nominal USD)",
    "Default Interest Rate",
    "First Loan Repayment Date",
    "Last Loan Repayment Date",
    "Grant Element (OECD Cash-Flow)",
    "Grant Element (OECD Grant-Equiv)",
    "Grant Element (IMF)",
    "Number of Lenders",
    "Export Buyer's Credit",
    "Supplier\u2019s Credit/Export Seller\u2019s Credit",
    "Interest-Free Loan",
    "Refinancing",
    "Investment Project Loan",
    "M&A",
    "Working Capital",
    "EPCF",
    "Lease",
    "FXSL/BOP",
    "CC IRS",
    "RCF",
    "GCL",
    "PBC",
    "PxF/Commodity Prepayment",
    "Inter-Bank Loan",
    "Overseas Project Contracting Loan",
    "DPA",
    "Project Finance",
    "Involving Multilateral",
    "Non-Chinese Financier",
    "Short-Term",
    "Rescue",
    "Project JV/SPV Host Government Ownership",
    "Project JV/SPV Chinese Government Ownership",
    "Level of Public Liability",
    "Total Source Count",
    "Official Source Count",
    "Source URLs",
    "Source Titles",
    "Source Publishers",
    "Source Resource Types",
    "Contact Name",
    "Contact Position",
    "ODA Eligible Recipient",
    "OECD ODA Income Group",
    "Location Narrative",
    "Geographic Level of Precision Available",
    "ADM1 Level Available",
    "ADM2 Level Available",
    "Geospatial Feature Available",
    "Source Quality Score",
    "Data Completeness Score",
    "Implementation Detail Score",
    "Loan Detail Score",
]
assert len(COLUMNS) == 126
IDX = {name: i for i, name in enumerate(COLUMNS)}

# (name, ISO-3, region, income group, weight). Asian weights follow the per-recipient record
# counts of the real GCDF 3.0 sheet published in a public notebook; the others are rough.
L, LM, UM = "Low income", "Lower middle income", "Upper middle income"
_ASIA = [
    ("Indonesia", "IDN", LM, 437),
    ("Lao People's Democratic Republic", "LAO", LM, 346),
    ("Malaysia", "MYS", UM, 176),
    ("Myanmar", "MMR", LM, 495),
    ("Cambodia", "KHM", LM, 418),
    ("Viet Nam", "VNM", LM, 191),
    ("Thailand", "THA", UM, 116),
    ("Philippines", "PHL", LM, 267),
    ("Brunei Darussalam", "BRN", "", 53),
    ("Timor-Leste", "TLS", LM, 131),
    ("Pakistan", "PAK", LM, 496),
    ("Sri Lanka", "LKA", LM, 301),
    ("Bangladesh", "BGD", LM, 175),
    ("Nepal", "NPL", L, 222),
    ("Mongolia", "MNG", LM, 232),
    ("Kazakhstan", "KAZ", UM, 181),
    ("Afghanistan", "AFG", L, 169),
    ("Tajikistan", "TJK", L, 172),
    ("Kyrgyz Republic", "KGZ", LM, 146),
    ("Democratic People's Republic of Korea", "PRK", L, 148),
    ("India", "IND", LM, 113),
    ("Maldives", "MDV", UM, 101),
    ("Uzbekistan", "UZB", LM, 196),
    ("Turkmenistan", "TKM", UM, 53),
    ("Armenia", "ARM", UM, 52),
    ("Azerbaijan", "AZE", UM, 53),
    ("Georgia", "GEO", UM, 52),
    ("Bhutan", "BTN", LM, 5),
]
_AFRICA = """Angola AGO LM 420|Algeria DZA LM 150|Benin BEN L 160|Botswana BWA UM 110|Burkina Faso BFA L 60|
Burundi BDI L 120|Cabo Verde CPV LM 90|Cameroon CMR LM 330|Central African Republic CAF L 70|Chad TCD L 110|
Comoros COM L 80|Congo COG LM 220|Cote d'Ivoire CIV LM 210|Democratic Republic of the Congo COD L 230|
Djibouti DJI LM 120|Egypt EGY LM 240|Equatorial Guinea GNQ UM 90|Eritrea ERI L 90|Eswatini SWZ LM 10|
Ethiopia ETH L 480|Gabon GAB UM 120|Gambia GMB L 60|Ghana GHA LM 360|Guinea GIN L 170|Guinea-Bissau GNB L 90|
Kenya KEN LM 420|Lesotho LSO LM 100|Liberia LBR L 170|Libya LBY UM 30|Madagascar MDG L 180|Malawi MWI L 150|
Mali MLI L 170|Mauritania MRT LM 150|Mauritius MUS UM 120|Morocco MAR LM 110|Mozambique MOZ L 260|
Namibia NAM UM 160|Niger NER L 150|Nigeria NGA LM 360|Rwanda RWA L 170|Sao Tome and Principe STP LM 40|
Senegal SEN LM 230|Seychelles SYC UM 70|Sierra Leone SLE L 210|Somalia SOM L 50|South Africa ZAF UM 180|
South Sudan SSD L 110|Sudan SDN L 230|Tanzania TZA L 330|Togo TGO L 160|Tunisia TUN LM 120|Uganda UGA L 300|
Zambia ZMB LM 380|Zimbabwe ZWE L 340"""
_AMERICA = """Antigua and Barbuda ATG UM 60|Argentina ARG UM 170|Barbados BRB UM 40|Bolivia BOL LM 180|
Brazil BRA UM 190|Chile CHL UM 60|Colombia COL UM 90|Costa Rica CRI UM 110|Cuba CUB UM 190|
Dominica DMA UM 70|Dominican Republic DOM UM 40|Ecuador ECU UM 240|El Salvador SLV LM 50|Grenada GRD UM 60|
Guyana GUY UM 70|Jamaica JAM UM 120|Mexico MEX UM 100|Nicaragua NIC LM 20|Panama PAN UM 50|Peru PER UM 140|
Suriname SUR UM 90|Trinidad and Tobago TTO UM 50|Uruguay URY UM 70|Venezuela VEN UM 250|
Bahamas BHS UM 15|Saint Lucia LCA UM 10|Honduras HND LM 10|Haiti HTI L 5|Belize BLZ UM 5|Guatemala GTM UM 5|
Paraguay PRY UM 5|Saint Kitts and Nevis KNA UM 5"""
_EUROPE = """Albania ALB UM 50|Belarus BLR UM 200|Bosnia and Herzegovina BIH UM 70|Kosovo XKX UM 5|
Moldova MDA LM 60|Montenegro MNE UM 50|North Macedonia MKD UM 60|Russia RUS UM 300|Serbia SRB UM 200|
Ukraine UKR LM 150|Turkey TUR UM 90|Bulgaria BGR UM 15|
Romania ROU UM 10|Hungary HUN UM 10|Croatia HRV UM 5"""
_MIDDLE_EAST = """Iran IRN UM 160|Iraq IRQ UM 120|Jordan JOR UM 90|Lebanon LBN UM 80|Syria SYR L 60|
West Bank and Gaza Strip PSE LM 60|Yemen YEM L 90|Oman OMN UM 30|Saudi Arabia SAU UM 20"""
_OCEANIA = """Cook Islands COK UM 40|Fiji FJI UM 170|Kiribati KIR LM 30|Marshall Islands MHL UM 20|
Micronesia FSM LM 90|Niue NIU UM 20|Papua New Guinea PNG LM 200|Samoa WSM LM 130|Solomon Islands SLB L 40|
Tonga TON UM 120|Vanuatu VUT LM 150|Palau PLW UM 5|
Nauru NRU UM 5|Tuvalu TUV UM 5"""
_INCOME = {"L": L, "LM": LM, "UM": UM}


def _parse(block: str, region: str) -> list[tuple]:
    out = []
    for item in block.replace("\n", "").split("|"):
        *name, iso, inc, w = item.split()
        out.append((" ".join(name), iso, region, _INCOME[inc], int(w)))
    return out


RECIPIENTS = (
    [(n, iso, "Asia", inc, w) for n, iso, inc, w in _ASIA]
    + _parse(_AFRICA, "Africa")
    + _parse(_AMERICA, "America")
    + _parse(_EUROPE, "Europe")
    + _parse(_MIDDLE_EAST, "Middle East")
    + _parse(_OCEANIA, "Oceania")
    + [
        ("Asia, regional", "", "Asia", "", 54),
        ("Africa, regional", "", "Africa", "", 120),
        ("America, regional", "", "America", "", 40),
        ("Europe, regional", "", "Europe", "", 10),
        ("Oceania, regional", "", "Oceania", "", 15),
        ("Multi-Region", "", "Multi-Region", "", 30),
    ]
)

STATUSES = [
    ("Completion", 14375),
    ("Pipeline: Commitment", 2854),
    ("Implementation", 2263),
    ("Pipeline: Pledge", 1356),
    ("Cancelled", 92),
    ("Suspended", 45),
]
SECTORS = [
    (110, "EDUCATION", 14),
    (120, "HEALTH", 16),
    (130, "POPULATION POLICIES/PROGRAMMES AND REPRODUCTIVE HEALTH", 1),
    (140, "WATER SUPPLY AND SANITATION", 4),
    (150, "GOVERNMENT AND CIVIL SOCIETY", 9),
    (160, "OTHER SOCIAL INFRASTRUCTURE AND SERVICES", 9),
    (210, "TRANSPORT AND STORAGE", 8),
    (220, "COMMUNICATIONS", 4),
    (230, "ENERGY", 7),
    (240, "BANKING AND FINANCIAL SERVICES", 5),
    (250, "BUSINESS AND OTHER SERVICES", 2),
    (310, "AGRICULTURE, FORESTRY, FISHING", 5),
    (320, "INDUSTRY, MINING, CONSTRUCTION", 5),
    (330, "TRADE POLICIES AND REGULATIONS", 1),
    (410, "GENERAL ENVIRONMENT PROTECTION", 1),
    (430, "OTHER MULTISECTOR", 3),
    (520, "DEVELOPMENTAL FOOD AID/FOOD SECURITY ASSISTANCE", 2),
    (600, "ACTION RELATING TO DEBT", 1),
    (720, "EMERGENCY RESPONSE", 8),
    (730, "RECONSTRUCTION RELIEF AND REHABILITATION", 1),
    (740, "DISASTER PREVENTION AND PREPAREDNESS", 1),
    (998, "UNALLOCATED/UNSPECIFIED", 1),
]
INFRA_SECTORS = {140, 210, 220, 230, 320}
FUNDERS = [
    ("Export-Import Bank of China (China Eximbank)", "State-owned Policy Bank"),
    ("China Development Bank (CDB)", "State-owned Policy Bank"),
    ("Bank of China (BOC)", "State-owned Commercial Bank"),
    ("Industrial and Commercial Bank of China (ICBC)", "State-owned Commercial Bank"),
    ("China Construction Bank Corporation (CCB)", "State-owned Commercial Bank"),
    ("China Ministry of Commerce", "Government Agency"),
    ("Chinese Embassy", "Government Agency"),
    ("Unspecified Chinese Government Institution", "Government Agency"),
    ("China International Development Cooperation Agency (CIDCA)", "Government Agency"),
    ("China Communications Construction Co., Ltd. (CCCC)", "State-owned Company"),
]
GRANT_FUNDERS = FUNDERS[5:]
LOAN_FUNDERS = FUNDERS[:5]
RECEIVER_TYPES = [
    "Recipient Government Agency",
    "Recipient State-owned Company",
    "Recipient Joint Venture/Special Purpose Vehicle",
    "Recipient Private Sector",
    "Recipient NGO/CSO/Foundation",
    "Recipient Miscellaneous Agency Type",
    "Recipient State-owned Bank",
    "Other Joint Venture/Special Purpose Vehicle",
]
IMPLEMENTERS = [
    ("China Railway Group Limited (CREC)", "Chinese State-owned Company"),
    ("Power Construction Corporation of China (PowerChina)", "Chinese State-owned Company"),
    ("China Harbour Engineering Co., Ltd.", "Chinese State-owned Company"),
    ("Huawei Technologies Co., Ltd.", "Chinese Private Sector"),
    ("China State Construction Engineering Corporation (CSCEC)", "Chinese State-owned Company"),
]
RESOURCE_TYPES = [
    "Media Report",
    "Donor/Recipient Official Source",
    "Implementing/Intermediary Organization Source",
    "Other",
    "Other Official Source (non-Donor, non-Recipient, non-Implementing)",
    "Social Media, including Unofficial Blogs",
    "Academic Journal Article",
    "NGO/Civil Society/Advocacy (non-Donor, non-Recipient, non-Implementing)",
    "Other Academic (Working Paper, Dissertation)",
]
OFFICIAL = {"Donor/Recipient Official Source", "Other Official Source (non-Donor, non-Recipient, non-Implementing)"}
HOSTS = ["example.org", "www.example.org", "example.com", "www.example.com", "news.example.net"]
# (currency, USD per unit) - rough, invented rates
CURRENCIES = [
    ("USD", 1.0),
    ("CNY", 0.15),
    ("EUR", 1.12),
    ("MYR", 0.24),
    ("IDR", 0.00007),
    ("PKR", 0.0075),
    ("PHP", 0.019),
    ("XOF", 0.0017),
    ("KES", 0.0095),
    ("LAK", 0.00011),
]
THEMES = [
    "road",
    "bridge",
    "railway",
    "hospital",
    "school",
    "power plant",
    "water supply system",
    "port",
    "stadium",
    "telecommunications network",
    "industrial park",
    "airport terminal",
]
PLACES = [
    "the capital",
    "the northern province",
    "the coastal region",
    "the border district",
    "the central highlands",
    "the southern corridor",
]


def _r(x: float) -> str:
    """repr of a float rounded to 15 significant digits (pandas writes repr(float))."""
    return repr(float(f"{x:.15g}"))


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rnd = random.Random(seed)
        r = self.rnd
        self.recip_cum = self._cum([w for *_, w in RECIPIENTS])
        self.status_cum = self._cum([w for _, w in STATUSES])
        self.sector_cum = self._cum([w for *_, w in SECTORS])
        self.next_group = 20001
        self._choice = r.choice

    @staticmethod
    def _cum(weights):
        total, out = 0, []
        for w in weights:
            total += w
            out.append(total)
        return out

    def _pick(self, items, cum):
        x = self.rnd.random() * cum[-1]
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        return items[lo]

    def _date(self, year: int) -> dt.date:
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rnd.randrange(365))

    def _urls(self, row: list[str], rid: int, year: int) -> None:
        r = self.rnd
        n = min(1 + int(r.expovariate(1 / 2.5)), 25)
        urls, titles, pubs, types = [], [], [], []
        for k in range(n):
            host = r.choice(HOSTS)
            scheme = "http" if r.random() < 0.3 else "https"
            path = r.choice(
                [
                    f"/news/{year}/{rid}-{k}.html",
                    f"/reports/{year}/annual-report.pdf",
                    f"/article?id={rid * 10 + k}&lang=en",
                    f"/zh/{year}{k:02d}/t{rid}.htm",
                ]
            )
            urls.append(f"{scheme}://{host}{path}")
            titles.append(
                r.choice(
                    [
                        f"Agreement signed for project {rid}",
                        f"Annual Report {year}",
                        f"项目签约仪式 {rid}",
                        f"Update on works, phase {k + 1}",
                        "Loan, grant and aid statistics",
                    ]
                )
            )
            pubs.append(
                ""
                if r.random() < 0.35
                else r.choice(["Example News", "Example Ministry", "Example Bank", "Example Embassy"])
            )
            types.append(r.choice(RESOURCE_TYPES))
        row[IDX["Source URLs"]] = "|".join(urls)
        row[IDX["Source Titles"]] = "|".join(titles)
        row[IDX["Source Publishers"]] = "|".join(pubs)
        row[IDX["Source Resource Types"]] = "|".join(types)
        row[IDX["Total Source Count"]] = str(n)
        row[IDX["Official Source Count"]] = str(sum(t in OFFICIAL for t in types))

    def record(
        self,
        rid: int,
        group: str = "",
        umbrella: bool = False,
        parent_title: int | None = None,
        like: tuple | None = None,
    ) -> list[str]:
        r = self.rnd
        row = [""] * len(COLUMNS)
        name, iso, region, income, _w = like[0] if like else self._pick(RECIPIENTS, self.recip_cum)
        status = self._pick(STATUSES, self.status_cum)[0]
        code, sector, _sw = like[1] if like else self._pick(SECTORS, self.sector_cum)
        year = like[2] if like else 2000 + min(int(r.triangular(0, 22, 19)), 21)

        kind = r.random()
        if umbrella or code in (210, 230, 240, 320) and kind < 0.8 or kind < 0.3:
            flow_type, simplified = "Loan", "Loan"
        elif kind < 0.88:
            flow_type, simplified = "Grant", "Grant"
        elif kind < 0.95:
            flow_type, simplified = "Free-standing technical assistance", "Grant"
        else:
            flow_type, simplified = "Scholarships/training in the donor country", "Grant"
        loan = flow_type == "Loan"
        funder, ftype = r.choice(LOAN_FUNDERS if loan else GRANT_FUNDERS)

        rfa = "No" if umbrella or status in ("Pipeline: Pledge", "Cancelled", "Suspended") else "Yes"
        row[IDX["AidData Record ID"]] = str(rid)
        row[IDX["Recommended For Aggregates"]] = rfa
        row[IDX["AidData Parent ID"]] = group
        row[IDX["Umbrella"]] = "Yes" if umbrella else "No"
        row[IDX["Financier Country"]] = "China (People's Republic of)"
        row[IDX["Recipient"]] = name
        row[IDX["Recipient ISO-3"]] = iso
        row[IDX["Recipient Region"]] = region
        row[IDX["Commitment Year"]] = str(year)

        theme, place = r.choice(THEMES), r.choice(PLACES)
        if umbrella:
            title = f"{funder.split(' (')[0]} signs framework agreement for {theme} projects in {name}"
        elif loan:
            title = f"{funder.split(' (')[0]} provides loan for {theme.title()} Project in {place}"
        else:
            title = f"Chinese Government provides grant for {theme} in {place}"
        if parent_title:
            title += f" (Linked to Umbrella Project ID#{parent_title})"
        if status == "Cancelled" and r.random() < 0.5:
            title = "[Cancelled] " + title
        elif status == "Suspended" and r.random() < 0.5:
            title = "[Suspended] " + title
        elif r.random() < 0.01:
            title = f"中国援建{name}{theme}项目"
        row[IDX["Title"]] = title

        sentences = [
            f"In {year}, {funder} agreed to support the {theme} in {place} of {name}.",
            f'The project is also known as the "{place.title()} {theme.title()}" project.',
            "The monetary value, terms, and timing of disbursement are partly unknown.",
        ]
        k = r.random()
        if k < 0.04:
            desc = "\n".join(sentences)  # multi-line cell (rare; see NOTES.md)
        elif k < 0.06:
            desc = sentences[0] + "_x000D_ _x000D_ " + sentences[2]  # Excel CR escape, as in real data
        else:
            desc = " ".join(sentences[: r.randint(1, 3)])
        row[IDX["Description"]] = desc
        if r.random() < 0.4:
            row[IDX["Staff Comments"]] = "1. Synthetic record generated by generate_gcdf.py; not AidData data."
        row[IDX["Status"]] = status
        row[IDX["Intent"]] = (
            r.choice(["Commercial", "Mixed", "Development", "Commercial"])
            if loan
            else r.choice(["Development"] * 8 + ["Representational", "Mixed"])
        )
        row[IDX["Flow Type"]] = flow_type
        row[IDX["Flow Type Simplified"]] = simplified
        if loan:
            row[IDX["OECD ODA Concessionality Threshold"]] = (
                "0.25" if year < 2018 else {L: "0.45", LM: "0.15", UM: "0.1"}.get(income, "0.25")
            )
            row[IDX["Flow Class"]] = r.choice(["OOF-like"] * 6 + ["ODA-like"] * 3 + ["Vague (Official Finance)"])
        else:
            row[IDX["Flow Class"]] = r.choice(["ODA-like"] * 17 + ["OOF-like", "OOF-like", "Vague (Official Finance)"])
        row[IDX["Sector Code"]] = str(code)
        row[IDX["Sector Name"]] = sector
        if code in INFRA_SECTORS and r.random() < 0.8:
            row[IDX["Infrastructure"]] = "Yes"
        if year >= 2020 and code == 120 and r.random() < 0.8:
            row[IDX["COVID"]] = "Yes"
        row[IDX["Funding Agencies"]] = funder
        row[IDX["Funding Agencies Type"]] = ftype
        cofin = loan and r.random() < 0.15
        row[IDX["Co-financed"]] = "Yes" if cofin else "No"
        if cofin:
            row[IDX["Co-financing Agencies"]] = "Bank of China (BOC)|Standard Example Bank PLC"
            row[IDX["Co-financing Agencies Type"]] = "Chinese State-owned Commercial Bank|Other Private Sector"
        if r.random() < 0.85:
            row[IDX["Direct Receiving Agencies"]] = (
                f"Government of {name}" if r.random() < 0.6 else f"{place.title()} Authority"
            )
            row[IDX["Direct Receiving Agencies Type"]] = r.choice(RECEIVER_TYPES)
        if r.random() < 0.35:
            n_impl = r.randint(1, 3)
            impl = r.sample(IMPLEMENTERS, n_impl)
            row[IDX["Implementing Agencies"]] = "|".join(i[0] for i in impl)
            row[IDX["Implementing Agencies Type"]] = "|".join(i[1] for i in impl)

        # amounts (about 1 in 5 records has none)
        if r.random() < 0.8:
            cur, usd = CURRENCIES[0] if r.random() < 0.55 else r.choice(CURRENCIES)
            usd_amount = r.lognormvariate(17.5, 1.8) if loan else r.lognormvariate(12.5, 2.0)
            original = round(usd_amount / usd, r.choice([0, 0, 2]))
            nominal = original * usd
            constant = nominal * (1.0 + (2021 - year) * 0.021 + r.random() * 0.01)
            row[IDX["Amount (Original Currency)"]] = _r(original)
            row[IDX["Original Currency"]] = cur
            if r.random() < 0.2:
                row[IDX["Amount Estimated"]] = "Yes"
            row[IDX["Amount (Constant USD 2021)"]] = _r(constant)
            row[IDX["Amount (Nominal USD)"]] = _r(nominal)
            if not umbrella:
                row[IDX["Adjusted Amount (Original Currency)"]] = _r(original)
                row[IDX["Adjusted Amount (Constant USD 2021)"]] = _r(constant)
                row[IDX["Adjusted Amount (Nominal USD)"]] = _r(nominal)
        if r.random() < 0.023:
            row[IDX["Financial Distress"]] = "Yes"

        # dates and years
        cdate = self._date(year)
        if r.random() < 0.4:
            cdate = dt.date(year, 1, 1)
            row[IDX["Commitment Date Estimated"]] = "Yes"
        else:
            row[IDX["Commitment Date Estimated"]] = "No"
        row[IDX["Commitment Date (MM/DD/YYYY)"]] = cdate.isoformat()
        if status in ("Completion", "Implementation", "Suspended", "Cancelled") and r.random() < 0.7:
            start = cdate + dt.timedelta(days=r.randrange(0, 700))
            if start.year <= 2023:
                row[IDX["Implementation Start Year"]] = _r(start.year)
                row[IDX["Actual Implementation Start Date (MM/DD/YYYY)"]] = start.isoformat()
                if r.random() < 0.2:
                    row[IDX["Actual Implementation Start Date Estimated"]] = "Yes"
                if r.random() < 0.2:
                    planned = start + dt.timedelta(days=r.randrange(-200, 200))
                    row[IDX["Planned Implementation Start Date (MM/DD/YYYY)"]] = planned.isoformat()
                    row[IDX["Deviation from Planned Implementation Start Date"]] = _r((planned - start).days)
                if status == "Completion":
                    end = start + dt.timedelta(days=r.randrange(0, 1500))
                    if end.year <= 2023:
                        row[IDX["Completion Year"]] = _r(end.year)
                        row[IDX["Actual Completion Date (MM/DD/YYYY)"]] = end.isoformat()
                        if r.random() < 0.25:
                            planned = end + dt.timedelta(days=r.randrange(-400, 60))
                            row[IDX["Planned Completion Date (MM/DD/YYYY)"]] = planned.isoformat()
                            row[IDX["Deviation from Planned Completion Date"]] = _r((planned - end).days)
        elif status == "Completion" and r.random() < 0.5:
            row[IDX["Completion Year"]] = _r(min(year + r.randint(0, 2), 2023))

        # loan terms
        if loan:
            row[IDX["Number of Lenders"]] = "Syndicated Loan" if cofin else "Bilateral Loan"
            row[IDX["Guarantee Provided"]] = r.choice(["Yes", "No", "No", ""])
            row[IDX["Insurance Provided"]] = r.choice(["Yes", "No", "No", ""])
            if row[IDX["Guarantee Provided"]] == "Yes":
                row[IDX["Guarantor"]] = f"{name} Ministry of Finance"
                row[IDX["Guarantor Agency Type"]] = "Recipient Government Agency"
            if row[IDX["Insurance Provided"]] == "Yes":
                row[IDX["Insurance Provider"]] = "China Export & Credit Insurance Corporation (Sinosure)"
                row[IDX["Insurance Provider Agency Type"]] = "Chinese State-owned Company"
            if r.random() < 0.1:
                row[IDX["Collateralized"]] = "Yes"
                row[IDX["Collateral"]] = "Export revenues deposited in an escrow account, and project assets"
            for flag, p in (
                ("Export Buyer's Credit", 0.1),
                ("Investment Project Loan", 0.5),
                ("PBC", 0.12),
                ("Project Finance", 0.1),
                ("Interest-Free Loan", 0.05),
                ("Working Capital", 0.05),
                ("Refinancing", 0.03),
            ):
                if r.random() < p:
                    row[IDX[flag]] = "Yes"
            if r.random() < 0.6:
                maturity = r.choice([1.0, 3.0, 5.0, 10.0, 15.0, 15.5, 20.0, 25.0])
                rate = round(r.uniform(0.0, 6.5), r.choice([1, 2, 3]))
                grace = min(maturity - 1.0, r.choice([0.0, 1.0, 3.0, 5.0, 7.0])) if maturity > 1 else 0.0
                row[IDX["Maturity"]] = _r(maturity)
                row[IDX["Interest Rate"]] = _r(rate)
                if r.random() < 0.7:
                    row[IDX["Grace Period"]] = _r(grace)
                if r.random() < 0.3:
                    row[IDX["Commitment Fee"]] = _r(r.choice([0.25, 0.5]))
                    row[IDX["Management Fee"]] = _r(r.choice([0.25, 0.5, 1.0]))
                first = cdate + dt.timedelta(days=int(365.25 * max(grace, 0.5)))
                last = cdate + dt.timedelta(days=int(365.25 * maturity) - 1)
                row[IDX["First Loan Repayment Date"]] = first.isoformat()
                row[IDX["Last Loan Repayment Date"]] = last.isoformat()
                ge = max(0.0, (6.0 - rate) * maturity / 4.0)
                row[IDX["Grant Element (OECD Cash-Flow)"]] = _r(round(min(ge * 1.6, 90.0), 4))
                row[IDX["Grant Element (OECD Grant-Equiv)"]] = _r(round(min(ge * 0.8, 80.0), 4))
                row[IDX["Grant Element (IMF)"]] = _r(round(min(ge * 0.55, 70.0), 4))
            if r.random() < 0.3:
                row[IDX["Project JV/SPV Host Government Ownership"]] = r.choice(
                    ["Majority Host Government-Owned", "Minority Host Government-Owned", "No Host Government Ownership"]
                )
                row[IDX["Project JV/SPV Chinese Government Ownership"]] = r.choice(
                    [
                        "No Chinese Government Ownership",
                        "Minority Chinese Government-Owned",
                        "No Chinese Government Ownership Information Available",
                    ]
                )
            row[IDX["Level of Public Liability"]] = r.choice(
                [
                    "Central government debt",
                    "Central government-guaranteed debt",
                    "Other public sector debt",
                    "Potential public sector debt",
                    "Private debt",
                    "Unallocable",
                ]
            )
        row[IDX["Non-Chinese Financier"]] = "Yes" if cofin else "No"

        self._urls(row, rid, year)
        if r.random() < 0.05:
            row[IDX["Contact Name"]] = "Li Example|Jane Example"
            row[IDX["Contact Position"]] = "Ambassador|Minister"
        if iso:
            row[IDX["ODA Eligible Recipient"]] = "Yes" if income else "No"
            row[IDX["OECD ODA Income Group"]] = income
        if r.random() < 0.5:
            row[IDX["Location Narrative"]] = (
                f"The project is located in {place}. More detailed locational "
                f"information can be found at https://www.example.org/map/{rid}"
            )
            if r.random() < 0.8:
                row[IDX["Geographic Level of Precision Available"]] = r.choice(
                    ["Precise", "Precise", "Admin Level", "Within 5km"]
                )
                row[IDX["ADM1 Level Available"]] = "Yes"
                row[IDX["ADM2 Level Available"]] = r.choice(["Yes", "No"])
                row[IDX["Geospatial Feature Available"]] = "Yes"
        row[IDX["Source Quality Score"]] = str(r.randint(1, 5))
        row[IDX["Data Completeness Score"]] = str(r.randint(1, 5))
        if r.random() < 0.75:
            row[IDX["Implementation Detail Score"]] = _r(r.randint(1, 5))
        if loan and r.random() < 0.8:
            row[IDX["Loan Detail Score"]] = _r(r.randint(1, 5))
        return row

    def new_group(self) -> str:
        g = str(self.next_group)
        self.next_group += 1
        return g


def generate(rows: int, path: Path, seed: int = 0) -> None:
    """Write `rows` synthetic records (plus a header) to `path` in the GCDF 3.0 CSV layout.

    About 2.5% of the records are umbrella rows (Umbrella=Yes, Recommended For Aggregates=No,
    Adjusted amounts empty) followed by 2-4 child rows that share its group number in
    "AidData Parent ID" (about 7.5%); another ~12% share a group number with one or two
    linked rows, and a few carry two groups ("20031|20044").
    """
    gen = _Gen(seed)
    r = gen.rnd
    path = Path(path)
    rid = 2_000_001
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writerow(COLUMNS)
        while written < rows:
            left = rows - written
            x = r.random()
            if x < 0.025 and left >= 3:
                group = gen.new_group()
                recip = gen._pick(RECIPIENTS, gen.recip_cum)
                sector = gen._pick(SECTORS, gen.sector_cum)
                year = 2000 + min(int(r.triangular(0, 22, 19)), 21)
                umb_id = rid
                batch = [gen.record(rid, group, umbrella=True, like=(recip, sector, year))]
                rid += 1
                for _ in range(min(r.randint(2, 4), left - 1)):
                    batch.append(gen.record(rid, group, parent_title=umb_id, like=(recip, sector, year)))
                    rid += 1
            elif x < 0.085 and left >= 2:
                group = gen.new_group()
                if r.random() < 0.15:
                    group = f"{group}|{gen.new_group()}"
                batch = []
                for _ in range(min(r.randint(2, 3), left)):
                    batch.append(gen.record(rid, group))
                    rid += 1
            else:
                batch = [gen.record(rid)]
                rid += 1
            w.writerows(batch)
            written += len(batch)


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Write a synthetic GCDF 3.0-layout CSV.")
    ap.add_argument("rows", type=int)
    ap.add_argument("path", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    generate(args.rows, args.path, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """The benchmark's entry point: ``rows`` synthetic rows in GCDF 3.0's CSV layout at ``path``."""
    generate(rows, path, seed)
