"""Travel with several modes at once ("on foot and by bus"): each leg takes the fastest.

With :class:`~causeway.recommender.travel.GeodesicTravelModel`'s per-mode profiles, a leg's
duration by one mode depends only on the straight-line distance ``d``:
``d × detour / speed × 60 + overhead`` (no overhead for ``d = 0``). So the fastest of the
allowed modes, and the leg's network distance by that mode, follow from ``d`` alone: the
planner gets one travel matrix, and the API can say afterwards which mode each leg used
(:meth:`MultiModeTravel.mode_of`) without keeping any state between the two.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from causeway.recommender.travel import (
    DEFAULT_PROFILES,
    Leg,
    LatLon,
    Mode,
    ModeProfile,
    TravelModel,
    haversine_km,
)


class MultiModeTravel(TravelModel):
    """The fastest of ``modes`` for every leg (geodesic distance, per-mode profiles)."""

    def __init__(self, modes: Sequence[Mode | str],
                 profiles: dict[Mode, ModeProfile] | None = None) -> None:
        if not modes:
            raise ValueError("at least one travel mode is needed.")
        self.modes = list(dict.fromkeys(Mode(m) for m in modes))
        table = dict(DEFAULT_PROFILES)
        table.update(profiles or {})
        self.profiles = [table[m] for m in self.modes]

    def _by_mode(self, km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Network km and minutes of every mode, each of shape [n_modes, *km.shape]."""
        net = np.stack([km * p.detour_factor for p in self.profiles])
        minutes = np.stack([
            net[i] / p.speed_kmh * 60.0 + np.where(km > 0, p.overhead_min, 0.0)
            for i, p in enumerate(self.profiles)])
        return net, minutes

    def between(self, origins: Sequence[LatLon], targets: Sequence[LatLon]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(km, minutes, mode index), each [len(origins), len(targets)], by the fastest mode."""
        a = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
        b = np.asarray(targets, dtype=np.float64).reshape(-1, 2)
        straight = haversine_km(a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1])
        net, minutes = self._by_mode(straight)
        best = minutes.argmin(axis=0)
        pick = np.take_along_axis
        return (pick(net, best[None], axis=0)[0], pick(minutes, best[None], axis=0)[0], best)

    def matrix(self, points: Sequence[LatLon], mode: Mode | str | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """All-pairs km and minutes by the fastest allowed mode (``mode`` is ignored)."""
        km, minutes, _ = self.between(points, points)
        np.fill_diagonal(km, 0.0)
        np.fill_diagonal(minutes, 0.0)
        return km, minutes

    def leg(self, a: LatLon, b: LatLon, mode: Mode | str | None = None) -> Leg:
        km, minutes, best = self.between([a], [b])
        return Leg(mode=self.modes[int(best[0, 0])], km=float(km[0, 0]),
                   minutes=float(minutes[0, 0]))

    def mode_of(self, a: LatLon, b: LatLon) -> Mode:
        """The mode :meth:`matrix` used for the leg from ``a`` to ``b``."""
        return self.leg(a, b).mode
