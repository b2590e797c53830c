"""Several travel modes at once: every leg by the fastest, and the API can tell which."""

from __future__ import annotations

import numpy as np
import pytest

from causeway.itineraries.travel import MultiModeTravel
from causeway.recommender.travel import DEFAULT_PROFILES, GeodesicTravelModel, Mode

CITY_HALL = (54.5964, -5.9301)
LINEN_HALL = (54.5977, -5.9316)  # about 180 m away
TITANIC = (54.6081, -5.9099)  # about 1.8 km
CAUSEWAY = (55.2408, -6.5117)  # about 80 km


def test_each_leg_takes_the_fastest_mode() -> None:
    both = MultiModeTravel(["walking", "public_transport"])
    walk, bus = GeodesicTravelModel(), GeodesicTravelModel()
    points = [CITY_HALL, LINEN_HALL, TITANIC, CAUSEWAY]
    km, minutes = both.matrix(points)
    wk, wm = walk.matrix(points, Mode.WALKING)
    bk, bm = bus.matrix(points, Mode.PUBLIC_TRANSPORT)
    assert np.allclose(minutes, np.minimum(wm, bm))
    assert np.allclose(km, np.where(wm <= bm, wk, bk))
    assert np.allclose(minutes, minutes.T) and np.all(np.diag(minutes) == 0)
    # Short hops on foot (no wait for a bus), long ones by bus; the leg agrees with the matrix.
    assert both.mode_of(CITY_HALL, LINEN_HALL) is Mode.WALKING
    assert both.mode_of(CITY_HALL, CAUSEWAY) is Mode.PUBLIC_TRANSPORT
    leg = both.leg(CITY_HALL, TITANIC)
    assert leg.minutes == pytest.approx(minutes[0, 2], rel=0.01)  # geodesic vs haversine
    # The crossover is where the two profiles' times meet.
    w, p = DEFAULT_PROFILES[Mode.WALKING], DEFAULT_PROFILES[Mode.PUBLIC_TRANSPORT]
    d = p.overhead_min / (w.detour_factor / w.speed_kmh * 60 - p.detour_factor / p.speed_kmh * 60)
    lat_per_km = 1 / 111.2
    near = (CITY_HALL[0] + 0.9 * d * lat_per_km, CITY_HALL[1])
    far = (CITY_HALL[0] + 1.1 * d * lat_per_km, CITY_HALL[1])
    assert both.mode_of(CITY_HALL, near) is Mode.WALKING
    assert both.mode_of(CITY_HALL, far) is Mode.PUBLIC_TRANSPORT


def test_one_mode_is_the_geodesic_model() -> None:
    points = [CITY_HALL, TITANIC, CAUSEWAY]
    km, minutes = MultiModeTravel([Mode.DRIVING]).matrix(points)
    gk, gm = GeodesicTravelModel().matrix(points, Mode.DRIVING)
    assert np.allclose(km, gk) and np.allclose(minutes, gm)
    with pytest.raises(ValueError):
        MultiModeTravel([])
