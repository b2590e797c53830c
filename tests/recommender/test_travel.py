import numpy as np
import pytest
from geopy.distance import geodesic

from causeway.recommender.travel import (
    DEFAULT_PROFILES, GeodesicTravelModel, Mode, ModeProfile, haversine_km)

BELFAST = [
    (54.6079, -5.9264),  # City Hall
    (54.6081, -5.9099),  # Titanic Belfast
    (54.5822, -5.9347),  # Ulster Museum
    (54.6369, -5.9422),  # Belfast Castle
    (55.2408, -6.5116),  # Giant's Causeway
]


def test_haversine_matrix_agrees_with_geopy_geodesic():
    model = GeodesicTravelModel({m: ModeProfile(60.0, 1.0) for m in Mode})
    km, minutes = model.matrix(BELFAST, Mode.DRIVING)
    for i, a in enumerate(BELFAST):
        for j, b in enumerate(BELFAST):
            if i != j:
                ref = geodesic(a, b).km
                assert km[i, j] == pytest.approx(ref, rel=5e-3)
                assert model.leg(a, b, Mode.DRIVING).km == pytest.approx(ref, rel=1e-9)
    assert np.allclose(minutes, km)  # 60 km/h: one minute per km


def test_matrix_is_symmetric_with_zero_diagonal_and_mode_speeds():
    model = GeodesicTravelModel()
    walk_km, walk = model.matrix(BELFAST, Mode.WALKING)
    _, drive = model.matrix(BELFAST, Mode.DRIVING)
    assert np.allclose(walk, walk.T) and np.all(np.diag(walk) == 0)
    assert walk_km[0, 1] == pytest.approx(
        geodesic(BELFAST[0], BELFAST[1]).km * DEFAULT_PROFILES[Mode.WALKING].detour_factor,
        rel=5e-3)
    assert drive[0, 4] < walk[0, 4]  # the Causeway is far: driving beats walking
    leg = model.leg(BELFAST[0], BELFAST[1], Mode.PUBLIC_TRANSPORT)
    assert leg.minutes > DEFAULT_PROFILES[Mode.PUBLIC_TRANSPORT].overhead_min
    assert model.leg(BELFAST[0], BELFAST[0], Mode.DRIVING).minutes == 0.0


def test_haversine_broadcasts():
    d = haversine_km(np.array([0.0]), np.array([0.0]), np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert d.shape == (2,)
    assert d[0] == pytest.approx(111.2, rel=1e-3)


@pytest.mark.parametrize("points", [[(91.0, 0.0)], [(0.0, 181.0)], [(float("nan"), 0.0)]])
def test_bad_points_are_rejected(points):
    with pytest.raises(ValueError, match="points"):
        GeodesicTravelModel().matrix(points, Mode.WALKING)


def test_bad_profiles_are_rejected():
    with pytest.raises(ValueError, match="speed_kmh"):
        ModeProfile(speed_kmh=0, detour_factor=1.2)
    with pytest.raises(ValueError, match="detour_factor"):
        ModeProfile(speed_kmh=5, detour_factor=0.9)
