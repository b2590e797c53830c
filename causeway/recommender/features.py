"""Feature matrices for the LightFM hybrid: DataFrames in, sparse matrices out.

A :class:`FeatureEncoder` learns a vocabulary from a training DataFrame (one row per
user or item) and then encodes any DataFrame with the same columns, including rows for
users or items that were never seen in training (cold start): such rows simply carry no
identity feature, so their representation is built from attribute features alone.

Feature names are ``"<column>:<value>"`` (``"categories:history"``) and identity
features are ``"id:<id>"``. Values are lower-cased strings; booleans become
``"<column>:yes"``/``"<column>:no"``; numeric columns listed in ``bands`` become
band labels (``"stay_days:2-3"``).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

ITEM_SINGLE: tuple[str, ...] = (
    "area", "price_band", "indoor", "provider_id", "provider_size",
)
ITEM_MULTI: tuple[str, ...] = ("categories", "tags", "accessibility")
USER_SINGLE: tuple[str, ...] = ("stay_days", "travel_mode", "party_type", "base_area")
USER_MULTI: tuple[str, ...] = ("interests",)
#: stay length in days: <=1, 2-3, 4-7, >7
STAY_BANDS: tuple[float, ...] = (1.0, 3.0, 7.0)


def band_label(value: float, edges: Sequence[float]) -> str:
    """Label a number with the band it falls in, e.g. ``2.0`` with edges (1, 3, 7) -> "2-3".

    Bands are ``<=e0``, ``(e0, e1]`` ... ``>e_last``; integer-looking edges print as
    inclusive integer ranges.
    """
    lo: float | None = None
    for edge in edges:
        if value <= edge:
            if lo is None:
                return f"<={_fmt(edge)}"
            return f"{_fmt(lo + 1)}-{_fmt(edge)}" if float(lo).is_integer() else f"{_fmt(lo)}-{_fmt(edge)}"
        lo = edge
    return f">{_fmt(edges[-1])}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return value is pd.NA or value is pd.NaT


def _tokens(value: Any) -> list[str]:
    """Normalise one cell of a multi-valued column to a list of labels."""
    if _is_missing(value):
        return []
    if isinstance(value, str):
        parts: Iterable[Any] = value.split("|") if "|" in value else [value]
    elif isinstance(value, Iterable):
        parts = value
    else:
        parts = [value]
    return [_label(p) for p in parts if not _is_missing(p) and str(p).strip() != ""]


def _label(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return str(value).strip().lower()


@dataclass
class FeatureEncoder:
    """Encode rows of a DataFrame as LightFM feature vectors with a fitted vocabulary.

    Parameters
    ----------
    id_column
        Column holding the user or item id. Ids seen in :meth:`fit` get an identity
        feature when ``identity`` is true; unseen ids get none (cold start).
    single
        Single-valued columns (one label per row; missing values are skipped).
    multi
        Multi-valued columns (lists, tuples, sets, or ``"a|b"`` strings).
    bands
        Numeric columns mapped to bands, ``{column: edges}``; such a column must also be
        listed in ``single``.
    identity
        Whether to add one identity feature per training id (the collaborative part of
        the hybrid). With ``identity=False`` the model is a pure content model.
    normalize
        Scale each row to sum to 1, as LightFM recommends, so rows with many features do
        not get larger representations.
    identity_weight
        Weight of the identity feature relative to each attribute feature before
        normalisation.
    """

    id_column: str
    single: tuple[str, ...] = ()
    multi: tuple[str, ...] = ()
    bands: dict[str, tuple[float, ...]] = field(default_factory=dict)
    identity: bool = True
    normalize: bool = True
    identity_weight: float = 1.0
    vocabulary_: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    ids_: list[str] = field(default_factory=list, init=False, repr=False)

    # ------------------------------------------------------------------ fitting
    def fit(self, frame: pd.DataFrame) -> FeatureEncoder:
        """Learn the vocabulary from ``frame`` (one row per user or item)."""
        return self._fit_labels(frame, self._attribute_labels(frame))

    def _fit_labels(self, frame: pd.DataFrame, labels: list[list[str]]) -> FeatureEncoder:
        if self.id_column not in frame.columns:
            raise ValueError(f"Feature frame has no id column {self.id_column!r}.")
        ids = [str(i) for i in frame[self.id_column]]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Column {self.id_column!r} has duplicate ids.")
        names: set[str] = set()
        for row_features in labels:
            names.update(row_features)
        self.ids_ = ids if self.identity else []
        vocab = [f"id:{i}" for i in self.ids_] + sorted(names)
        self.vocabulary_ = {name: j for j, name in enumerate(vocab)}
        self.__dict__.pop("_names", None)
        return self

    @property
    def n_features(self) -> int:
        """Number of columns of the encoded matrices."""
        return len(self.vocabulary_)

    @property
    def feature_names(self) -> list[str]:
        """Feature names in column order, length ``n_features`` (cached; do not mutate)."""
        cached = self.__dict__.get("_names")
        if cached is None or len(cached) != len(self.vocabulary_):
            cached = [""] * len(self.vocabulary_)
            for name, j in self.vocabulary_.items():
                cached[j] = name
            self.__dict__["_names"] = cached
        return cached

    def _check_fitted(self) -> None:
        if not self.vocabulary_:
            raise ValueError("FeatureEncoder is not fitted; call fit() first.")

    def _attribute_labels(self, frame: pd.DataFrame | Mapping[str, list[Any]]) -> list[list[str]]:
        columns = frame.columns if isinstance(frame, pd.DataFrame) else frame.keys()
        n = len(frame) if isinstance(frame, pd.DataFrame) else len(next(iter(frame.values()), []))
        rows: list[list[str]] = [[] for _ in range(n)]
        for col in self.single:
            if col not in columns:
                continue
            edges = self.bands.get(col)
            values = frame[col].tolist() if isinstance(frame, pd.DataFrame) else frame[col]
            for r, value in enumerate(values):
                if _is_missing(value):
                    continue
                label = band_label(float(value), edges) if edges else _label(value)
                if label:
                    rows[r].append(f"{col}:{label}")
        for col in self.multi:
            if col not in columns:
                continue
            values = frame[col].tolist() if isinstance(frame, pd.DataFrame) else frame[col]
            for r, value in enumerate(values):
                rows[r].extend(f"{col}:{tok}" for tok in _tokens(value))
        return rows

    # ---------------------------------------------------------------- encoding
    def transform(self, frame: pd.DataFrame | Mapping[str, list[Any]]) -> sp.csr_matrix:
        """Encode ``frame`` (a DataFrame, or a dict of equal-length column lists) with the
        fitted vocabulary.

        Returns
        -------
        csr_matrix of shape [len(frame), n_features], float32
            Row ``r`` encodes ``frame.iloc[r]``. Labels outside the vocabulary are
            dropped; an id outside the training ids gets no identity feature.
        """
        self._check_fitted()
        return self._encode(frame, self._attribute_labels(frame))

    def _encode(self, frame: pd.DataFrame | Mapping[str, list[Any]],
                labels: list[list[str]]) -> sp.csr_matrix:
        columns = frame.columns if isinstance(frame, pd.DataFrame) else frame.keys()
        ids = (
            [None if _is_missing(i) else str(i) for i in frame[self.id_column]]
            if self.id_column in columns else [None] * len(labels)
        )
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        vocab = self.vocabulary_
        for r, row in enumerate(labels):
            cols: dict[int, float] = {}
            if self.identity and ids[r] is not None:
                j = vocab.get(f"id:{ids[r]}")
                if j is not None:
                    cols[j] = self.identity_weight
            for name in row:
                j = vocab.get(name)
                if j is not None:
                    cols[j] = 1.0
            if self.normalize and cols:
                total = sum(cols.values())
                cols = {j: v / total for j, v in cols.items()}
            for j in sorted(cols):
                indices.append(j)
                data.append(cols[j])
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32),
             np.asarray(indptr, dtype=np.int64)),
            shape=(len(labels), self.n_features),
        )

    def fit_transform(self, frame: pd.DataFrame) -> sp.csr_matrix:
        """Fit on ``frame`` and encode it; shape [len(frame), n_features].

        Labels each row once for both steps (the labelling is most of the cost of
        encoding a 100k-visitor training frame)."""
        labels = self._attribute_labels(frame)
        return self._fit_labels(frame, labels)._encode(frame, labels)

    def transform_records(self, records: Sequence[Mapping[str, Any]]) -> sp.csr_matrix:
        """Encode plain dicts (e.g. a visitor profile from the API); see :meth:`transform`.

        Avoids building a DataFrame, so encoding one profile costs microseconds.
        """
        keys = {k for r in records for k in r}
        return self.transform({k: [r.get(k) for r in records] for k in keys})

    def id_index(self) -> dict[str, int]:
        """Map training id -> row position in the training frame."""
        return {i: r for r, i in enumerate(self.ids_)}

    # ----------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable state (configuration and vocabulary)."""
        return {
            "id_column": self.id_column,
            "single": list(self.single),
            "multi": list(self.multi),
            "bands": {k: list(v) for k, v in self.bands.items()},
            "identity": self.identity,
            "normalize": self.normalize,
            "identity_weight": self.identity_weight,
            "feature_names": self.feature_names,
            "ids": self.ids_,
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> FeatureEncoder:
        """Rebuild an encoder saved with :meth:`to_dict`."""
        enc = cls(
            id_column=state["id_column"],
            single=tuple(state["single"]),
            multi=tuple(state["multi"]),
            bands={k: tuple(v) for k, v in state["bands"].items()},
            identity=bool(state["identity"]),
            normalize=bool(state["normalize"]),
            identity_weight=float(state["identity_weight"]),
        )
        enc.vocabulary_ = {name: j for j, name in enumerate(state["feature_names"])}
        enc.ids_ = list(state["ids"])
        return enc

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


def item_encoder(identity: bool = True, id_column: str = "attraction_id") -> FeatureEncoder:
    """Encoder for attractions: categories, tags, area, price band, indoor/outdoor,
    accessibility, provider and provider size class."""
    return FeatureEncoder(id_column=id_column, single=ITEM_SINGLE, multi=ITEM_MULTI,
                          identity=identity)


def user_encoder(identity: bool = True, id_column: str = "visitor_id") -> FeatureEncoder:
    """Encoder for visitors: stated interests, stay-length band, travel mode, party type and
    the area of their base (:func:`base_area`)."""
    return FeatureEncoder(id_column=id_column, single=USER_SINGLE, multi=USER_MULTI,
                          bands={"stay_days": STAY_BANDS}, identity=identity)


def index_of(ids: Iterable[Hashable]) -> dict[str, int]:
    """Map each id (as a string) to its position."""
    return {str(i): r for r, i in enumerate(ids)}


def geo_cells(lat: np.ndarray, lon: np.ndarray, cell_km: float = 1.0) -> list[str]:
    """Label of the square cell (about ``cell_km`` wide) holding each point, e.g. "6170:-418".

    An area feature for attractions that have coordinates but no named area: nearby
    attractions share a label, so what a visitor does in one part of town informs the
    places next to it. Cells are aligned to the equator and meridian 0, with the east-west
    size scaled by the cosine of the points' mean latitude, so labels are stable for a
    given catalogue region. Missing coordinates get the label "unknown".
    """
    if cell_km <= 0:
        raise ValueError("cell_km must be positive.")
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    mean_lat = float(lat[ok].mean()) if ok.any() else 0.0
    dlat = cell_km / 111.32
    dlon = cell_km / (111.32 * max(np.cos(np.radians(mean_lat)), 0.01))
    rows = np.floor(np.where(ok, lat, 0.0) / dlat).astype(np.int64)
    cols = np.floor(np.where(ok, lon, 0.0) / dlon).astype(np.int64)
    return [f"{r}:{c}" if good else "unknown" for r, c, good in zip(rows, cols, ok)]


#: Size of the grid cells that give a visitor's base an area feature (about 11 x 10 km at 55 N).
BASE_AREA_DEG: tuple[float, float] = (0.1, 0.15)


def base_area(lat: float | None, lon: float | None,
              cell_deg: tuple[float, float] = BASE_AREA_DEG) -> str | None:
    """Label of the fixed latitude/longitude cell of a visitor's base, e.g. ``"552:-44"``.

    A user feature: visitors staying in the same part of the region share it, so the model
    can learn what people based there go to. A fixed degree grid (unlike :func:`geo_cells`,
    scaled to a set of points) gives one visitor's base the same label whatever else is
    encoded with it. ``None`` when the base is unknown.
    """
    if lat is None or lon is None or not (np.isfinite(lat) and np.isfinite(lon)):
        return None
    return f"{int(np.floor(lat / cell_deg[0]))}:{int(np.floor(lon / cell_deg[1]))}"
