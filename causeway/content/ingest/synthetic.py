"""A synthetic CSV feed of ``rows`` attractions, for load tests and benchmarks.

Seeded and deterministic: positions spread over Northern Ireland, names made of a few
hundred words (so a fraction look alike, as real feeds do), a category and tags per row.
Nothing here comes from real data.
"""

from __future__ import annotations

import csv
import io
import random

_WORDS = ("abbey bay bridge castle chapel cove falls forest fort garden glen harbour hill house "
          "island lake lough meadow mill mount park point quay rock shore strand tower valley "
          "view wood yard").split()
_PLACES = ("Antrim Armagh Ballycastle Ballymena Bangor Belfast Coleraine Derry Downpatrick "
           "Dungannon Enniskillen Larne Lisburn Newry Newcastle Omagh Portrush Strabane").split()
_CATEGORIES = ("museum", "garden", "history", "nature", "castle", "gallery")


def feed_csv(rows: int, *, seed: int = 12, prefix: str = "syn") -> bytes:
    """``rows`` valid attraction rows as CSV with canonical column names."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["external_id", "name", "lat", "lon", "description", "categories", "tags", "town",
                     "visit_minutes"])
    for i in range(1, rows + 1):
        town = rng.choice(_PLACES)
        name = f"{town} {rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()} {i}"
        writer.writerow([
            f"{prefix}-{i}", name, f"{rng.uniform(54.05, 55.25):.6f}", f"{rng.uniform(-8.10, -5.45):.6f}",
            f"A synthetic place near {town}, number {i}.", rng.choice(_CATEGORIES),
            f"{rng.choice(_WORDS)};{rng.choice(_WORDS)}", town, rng.choice((30, 45, 60, 90, 120)),
        ])
    return out.getvalue().encode()
