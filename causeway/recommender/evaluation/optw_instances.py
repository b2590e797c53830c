"""Reading the published OPTW/TOPTW instances (KU Leuven archive) and checking routes.

Format (``TOPTW_format.txt``): a header ``k v N t``, a line ``D Q``, then one line per
vertex ``i x y d S f a <a numbers> O C``; vertex 0 is the depot and its ``C`` is the
time budget of every tour. The opening and closing times are the *last two* fields
(Cordeau's files put a list of visit combinations before them). ``c204.txt`` breaks the
header over two lines, so vertex lines are recognised by having at least 9 fields, not by
position. Travel time is the Euclidean distance rounded *down* to 1 decimal for the
Solomon-based sets and to 2 decimals for the Cordeau-based sets.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from causeway.recommender.planner.problem import Problem


@dataclass(frozen=True)
class Instance:
    """One benchmark instance, as read from its file."""

    name: str
    x: np.ndarray
    y: np.ndarray
    service: np.ndarray
    score: np.ndarray
    open: np.ndarray
    close: np.ndarray
    decimals: int  # 1 for Solomon-based files, 2 for Cordeau-based ones

    @property
    def n_customers(self) -> int:
        return len(self.x) - 1

    @property
    def tmax(self) -> float:
        return float(self.close[0])


def decimals_for(name: str) -> int:
    """Rounding rule of the archive: Cordeau (``pr*``) 2 decimals, Solomon 1."""
    return 2 if name.lower().startswith("pr") else 1


def parse_instance(path: Path | str, decimals: int | None = None) -> Instance:
    """Read one instance file (LF or CRLF, with or without the c204 header quirk)."""
    path = Path(path)
    name = path.stem
    rows: list[list[float]] = []
    with open(path, encoding="ascii", newline=None) as fh:
        for line in fh:
            fields = line.split()
            if len(fields) >= 9:
                rows.append([float(f) for f in fields])
    if not rows:
        raise ValueError(f"{path}: no vertex lines (expected lines of at least 9 fields).")
    for k, row in enumerate(rows):
        if int(row[0]) != k:
            raise ValueError(f"{path}: vertex line {k} has id {row[0]:g}.")
    return Instance(
        name=name,
        x=np.array([r[1] for r in rows]),
        y=np.array([r[2] for r in rows]),
        service=np.array([r[3] for r in rows]),
        score=np.array([r[4] for r in rows]),
        open=np.array([r[-2] for r in rows]),
        close=np.array([r[-1] for r in rows]),
        decimals=decimals_for(name) if decimals is None else decimals,
    )


def distance_matrix(inst: Instance) -> np.ndarray:
    """Euclidean distances rounded down to ``inst.decimals`` decimals."""
    dx = inst.x[:, None] - inst.x[None, :]
    dy = inst.y[:, None] - inst.y[None, :]
    scale = 10 ** inst.decimals
    # the small epsilon keeps exact values such as 0.3 from flooring to 0.2
    d = np.floor(np.hypot(dx, dy) * scale + 1e-9) / scale
    return d


def to_problem(inst: Instance, m: int) -> Problem:
    """The instance as a solver :class:`Problem` with ``m`` identical tours."""
    n = len(inst.x)
    w = [() if j == 0 else ((float(inst.open[j]), float(inst.close[j])),) for j in range(n)]
    return Problem(
        travel=distance_matrix(inst),
        duration=inst.service.astype(np.float64),
        score=inst.score.astype(np.float64),
        windows=[list(w) for _ in range(m)],
        route_start=[0] * m,
        route_end=[0] * m,
        time_start=[0.0] * m,
        time_end=[inst.tmax] * m,
        customers=list(range(1, n)),
    )


def check_tours(inst: Instance, tours: Sequence[Sequence[int]], m: int) -> tuple[float, list[str]]:
    """Score of ``tours`` and every rule they break, computed from the raw instance.

    Independent of the solver: its own distance computation (``math.hypot`` and
    ``math.floor``) and its own clock.
    """
    errors: list[str] = []
    if len(tours) > m:
        errors.append(f"{len(tours)} tours for m = {m}")
    scale = 10 ** inst.decimals
    seen: set[int] = set()
    total = 0.0
    tmax = float(inst.close[0])
    for k, tour in enumerate(tours):
        t, at = 0.0, 0
        for v in tour:
            if not 1 <= v <= inst.n_customers:
                errors.append(f"tour {k}: vertex {v} is not a customer")
                continue
            if v in seen:
                errors.append(f"tour {k}: vertex {v} visited twice")
            seen.add(v)
            dist = math.floor(math.hypot(inst.x[at] - inst.x[v], inst.y[at] - inst.y[v])
                              * scale + 1e-9) / scale
            start = max(t + dist, float(inst.open[v]))
            if start > float(inst.close[v]) + 1e-6:
                errors.append(f"tour {k}: vertex {v} starts at {start:.2f} > "
                              f"{float(inst.close[v]):g}")
            t = start + float(inst.service[v])
            total += float(inst.score[v])
            at = v
        back = t + math.floor(math.hypot(inst.x[at] - inst.x[0], inst.y[at] - inst.y[0])
                              * scale + 1e-9) / scale
        if back > tmax + 1e-6:
            errors.append(f"tour {k}: back at {back:.2f} > {tmax:g}")
    return total, errors


@dataclass(frozen=True)
class Reference:
    """A row of ``bks.csv``."""

    value: float
    kind: str
    source: str
    set: str


def read_bks(path: Path | str) -> dict[tuple[str, int], Reference]:
    """``bks.csv`` keyed by (instance, m)."""
    out: dict[tuple[str, int], Reference] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out[(row["instance"], int(row["m"]))] = Reference(
                float(row["bks"]), row["kind"], row["source"], row["set"])
    return out
