"""Inputs and outputs of the itinerary planner (plain dataclasses, times in minutes).

Times are minutes since midnight of the day they belong to (10:30 = 630.0). Opening
windows say when the attraction is open; a visit must start at or after ``open`` and
*end* by ``close``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from causeway.recommender.travel import LatLon, Mode

Window = tuple[float, float]


@dataclass(frozen=True)
class Candidate:
    """An attraction the planner may schedule.

    Parameters
    ----------
    windows:
        One entry per day of the stay: the list of ``(open, close)`` windows that day.
        An empty list (or a missing trailing day) means closed that day.
    score:
        Interest for this visitor (the recommender's score); 0 excludes it.
    must_see:
        Scheduled whenever it is feasible; the plan says why when it is not.
    """

    id: str
    lat: float
    lon: float
    score: float
    duration_min: float
    windows: Sequence[Sequence[Window]]
    must_see: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        if self.duration_min < 0:
            raise ValueError(f"candidate {self.id}: duration_min must be 0 or larger.")
        if self.score < 0:
            raise ValueError(f"candidate {self.id}: score must be 0 or larger.")
        for day in self.windows:
            for o, c in day:
                if c < o:
                    raise ValueError(f"candidate {self.id}: window ({o}, {c}) closes "
                                     "before it opens.")


@dataclass(frozen=True)
class Day:
    """One day of the stay: where and when it starts and ends."""

    start: LatLon
    start_min: float
    end_min: float
    end: LatLon | None = None  # default: back where the day started

    def __post_init__(self) -> None:
        if self.end_min < self.start_min:
            raise ValueError("a day must end after it starts (end_min < start_min).")

    @property
    def end_place(self) -> LatLon:
        return self.start if self.end is None else self.end


@dataclass(frozen=True)
class LunchBreak:
    """A break of ``duration_min`` starting between ``earliest`` and ``latest``, each day."""

    earliest: float
    latest: float
    duration_min: float = 60.0

    def __post_init__(self) -> None:
        if self.latest < self.earliest or self.duration_min < 0:
            raise ValueError("lunch: need earliest <= latest and duration_min >= 0.")


@dataclass(frozen=True)
class PlanRequest:
    """Everything the planner needs; ``max_iterations`` makes runs reproducible per seed."""

    candidates: Sequence[Candidate]
    days: Sequence[Day]
    mode: Mode = Mode.WALKING
    lunch: LunchBreak | None = None
    time_limit: float = 0.25
    max_iterations: int = 1000
    seed: int = 0
    virtual_limit: int = 10

    def __post_init__(self) -> None:
        if not self.days:
            raise ValueError("a plan needs at least one day.")
        ids = [c.id for c in self.candidates]
        if len(set(ids)) != len(ids):
            raise ValueError("candidate ids must be unique.")


@dataclass(frozen=True)
class TravelLeg:
    """Travel to a stop (or back at the end of the day)."""

    mode: Mode
    km: float
    minutes: float


@dataclass(frozen=True)
class Stop:
    """One scheduled stop; ``kind`` is ``"visit"`` or ``"lunch"``."""

    id: str
    kind: str
    arrival: float
    wait: float
    start: float
    end: float
    departure: float
    leg_in: TravelLeg
    score: float = 0.0


@dataclass
class DayPlan:
    """The ordered stops of one day."""

    day: int
    start_min: float
    end_min: float
    stops: list[Stop]
    leg_home: TravelLeg
    back_at: float
    score: float

    @property
    def slack_min(self) -> float:
        """Free minutes left at the end of the day."""
        return self.end_min - self.back_at

    def visit_ids(self) -> list[str]:
        return [s.id for s in self.stops if s.kind == "visit"]


# Why a candidate is not in the plan.
REASON_CLOSED = "closed_on_all_stay_days"
REASON_TOO_FAR = "too_far_to_reach_within_the_day"
REASON_NO_TIME = "not_enough_time"


@dataclass(frozen=True)
class Unplanned:
    """A candidate left out, with the reason (one of the ``REASON_*`` constants)."""

    id: str
    score: float
    reason: str
    detail: str = ""


@dataclass
class Plan:
    """A day-by-day itinerary, the virtual visits offered instead, and unmet must-sees."""

    days: list[DayPlan]
    virtual_visits: list[Unplanned] = field(default_factory=list)
    unmet_must_see: list[Unplanned] = field(default_factory=list)
    score: float = 0.0
    iterations: int = 0
    seconds: float = 0.0

    def visit_ids(self) -> list[list[str]]:
        return [d.visit_ids() for d in self.days]
