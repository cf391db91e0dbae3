"""Realistic demo data: customer subprojects with region, tier, industry and contract labels.

Deterministic for a given seed (ids and times included), so example notebooks show the same
account on every run. A few label values are deliberately messy ("EU-West", "eu_west") so that
normalising them is something worth demonstrating.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from .ulid import ulid_at

BRANDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
    "Oceanic",
    "Nakatomi",
    "Aperture",
    "Massive Dynamic",
    "Pied Piper",
    "Gringotts",
    "Monarch",
    "Virtucon",
    "Blue Sun",
    "Weyland",
    "Dunder Mifflin",
    "Prestige",
    "Sirius",
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Litware",
]
INDUSTRIES = {
    "Logistics": "logistics",
    "Health": "healthcare",
    "Retail": "retail",
    "Bank": "finance",
    "Telecom": "telecom",
    "Travel": "travel",
    "Foods": "food",
    "Energy": "energy",
    "Insurance": "insurance",
    "Media": "media",
}
REGIONS = [
    ("eu-west", 30),
    ("eu-north", 10),
    ("us-east", 25),
    ("us-west", 12),
    ("apac", 15),
    ("latam", 8),
]
MESSY_REGIONS = {"eu-west": ["EU-West", "eu_west"], "us-east": ["US-East", "us_east"]}
SUFFIXES = {
    "eu-west": "EU",
    "eu-north": "Nordics",
    "us-east": "US",
    "us-west": "US West",
    "apac": "APAC",
    "latam": "LATAM",
}
TIERS = [("enterprise", 15), ("business", 45), ("starter", 40)]
CONTRACTS = [("annual", 55), ("monthly", 35), ("trial", 10)]

START = datetime(2023, 1, 2, tzinfo=timezone.utc)
END = datetime(2026, 6, 30, tzinfo=timezone.utc)


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"


def demo_subprojects(count: int, project_id: str, seed: int = 0) -> list[dict[str, Any]]:
    """`count` subproject records in creation order, as the API would return them."""
    rng = random.Random(seed)
    span = (END - START).total_seconds()
    offsets = sorted(rng.random() * span for _ in range(count))
    records = []
    for offset in offsets:
        created = START + timedelta(seconds=offset)
        updated = min(END, created + timedelta(days=rng.expovariate(1 / 60)))
        brand = rng.choice(BRANDS)
        business, industry = rng.choice(list(INDUSTRIES.items()))
        region = _pick(rng, REGIONS)
        labels = {"region": region, "industry": industry}
        if rng.random() < 0.06 and region in MESSY_REGIONS:
            labels["region"] = rng.choice(MESSY_REGIONS[region])
        if rng.random() < 0.93:
            labels["tier"] = _pick(rng, TIERS)
        if rng.random() < 0.88:
            labels["contract"] = _pick(rng, CONTRACTS)
        if rng.random() < 0.3:
            labels["cost-center"] = f"cc-{rng.randint(1000, 9999)}"
        millis = int(created.timestamp() * 1000)
        records.append(
            {  # the live API's field order
                "subprojectId": ulid_at(millis, rng.getrandbits(79)),
                "displayName": f"{brand} {business} {SUFFIXES[region]}",
                "createTime": _rfc3339(created),
                "updateTime": _rfc3339(updated),
                "deleted": rng.random() < 0.07,
                "labels": labels,
                "parentProjectId": project_id,
            }
        )
    return records
