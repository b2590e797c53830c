"""Travel times between places, for the itinerary planner.

The default model is deliberately simple: the geodesic (WGS-84) distance between two
points, stretched by a per-mode detour factor (streets are not straight lines), divided
by a per-mode speed, plus a fixed per-leg overhead (finding the car, waiting for the bus).
Anything that can answer "how long from A to B by this mode" can replace it by
implementing :class:`TravelModel` (for example a client of a routing engine); the planner
only ever calls :meth:`TravelModel.matrix` once per plan.

Matrices use the haversine formula in numpy (fast for hundreds of points); single legs use
``geopy.distance.geodesic``. The two agree to within 0.5 % (the sphere vs the ellipsoid),
which is far below the uncertainty of a detour factor; ``tests/recommender/test_travel.py``
checks it.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from geopy.distance import geodesic

from causeway.geo import haversine_km


class Mode(str, enum.Enum):
    """How the visitor gets around."""

    WALKING = "walking"
    CYCLING = "cycling"
    DRIVING = "driving"
    PUBLIC_TRANSPORT = "public_transport"


@dataclass(frozen=True, slots=True)
class ModeProfile:
    """Speed model of one mode.

    Parameters
    ----------
    speed_kmh:
        Average door-to-door speed along the network, in km/h.
    detour_factor:
        Network distance / straight-line distance (about 1.2-1.4 in cities).
    overhead_min:
        Fixed minutes added to every leg that moves at all (parking, waiting at a stop).
    """

    speed_kmh: float
    detour_factor: float
    overhead_min: float = 0.0

    def __post_init__(self) -> None:
        if self.speed_kmh <= 0:
            raise ValueError("speed_kmh must be positive.")
        if self.detour_factor < 1.0:
            raise ValueError("detour_factor must be 1 or larger.")
        if self.overhead_min < 0:
            raise ValueError("overhead_min must be 0 or larger.")


# Urban averages; public transport is approximated as a slower car plus a wait per leg.
DEFAULT_PROFILES: dict[Mode, ModeProfile] = {
    Mode.WALKING: ModeProfile(speed_kmh=4.8, detour_factor=1.3),
    Mode.CYCLING: ModeProfile(speed_kmh=15.0, detour_factor=1.3, overhead_min=2.0),
    Mode.DRIVING: ModeProfile(speed_kmh=35.0, detour_factor=1.35, overhead_min=5.0),
    Mode.PUBLIC_TRANSPORT: ModeProfile(speed_kmh=20.0, detour_factor=1.4, overhead_min=8.0),
}

LatLon = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Leg:
    """One travel leg: mode, network distance in km and duration in minutes."""

    mode: Mode
    km: float
    minutes: float


class TravelModel(abc.ABC):
    """What the planner needs from a travel-time source."""

    @abc.abstractmethod
    def matrix(self, points: Sequence[LatLon], mode: Mode) -> tuple[np.ndarray, np.ndarray]:
        """Distances and durations between all points.

        Returns
        -------
        (km, minutes): two float64 arrays of shape [n_points, n_points], zero diagonal.
        """

    @abc.abstractmethod
    def leg(self, a: LatLon, b: LatLon, mode: Mode) -> Leg:
        """One leg from ``a`` to ``b``."""


def _check_points(points: Sequence[LatLon]) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not np.all(np.isfinite(arr)):
        raise ValueError("points must be finite (lat, lon) pairs.")
    if np.any(np.abs(arr[:, 0]) > 90) or np.any(np.abs(arr[:, 1]) > 180):
        raise ValueError("points must be (lat, lon) in degrees, lat within ±90, lon within ±180.")
    return arr


class GeodesicTravelModel(TravelModel):
    """Straight-line distance × detour factor / speed (+ per-leg overhead)."""

    def __init__(self, profiles: dict[Mode, ModeProfile] | None = None) -> None:
        self.profiles = dict(DEFAULT_PROFILES)
        if profiles:
            self.profiles.update(profiles)

    def _minutes(self, km: np.ndarray | float, mode: Mode) -> np.ndarray | float:
        prof = self.profiles[Mode(mode)]
        minutes = np.asarray(km) / prof.speed_kmh * 60.0
        if prof.overhead_min:
            minutes = np.where(np.asarray(km) > 0, minutes + prof.overhead_min, 0.0)
        return minutes

    def matrix(self, points: Sequence[LatLon], mode: Mode) -> tuple[np.ndarray, np.ndarray]:
        arr = _check_points(points)
        prof = self.profiles[Mode(mode)]
        lat, lon = arr[:, 0], arr[:, 1]
        km = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        km *= prof.detour_factor
        np.fill_diagonal(km, 0.0)
        minutes = np.asarray(self._minutes(km, mode), dtype=np.float64)
        return km, minutes

    def leg(self, a: LatLon, b: LatLon, mode: Mode) -> Leg:
        _check_points([a, b])
        prof = self.profiles[Mode(mode)]
        km = float(geodesic(a, b).km) * prof.detour_factor
        return Leg(mode=Mode(mode), km=km, minutes=float(self._minutes(km, mode)))
