"""Flickr user-POI visits (``lim/`` format): loading, the last-sequence split and folds.

See :mod:`causeway.recommender.evaluation.flickr_recsys` for the protocol. Everything
here is derived from training data only, except :attr:`Fold.relevant` (the held-out truth).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from causeway.recommender.evaluation.metrics import long_tail_mask


@dataclass
class CityData:
    """One city's POIs and sequences (user and POI ids are positions, not raw ids)."""

    name: str
    n_items: int
    themes: list[str]
    item_theme: np.ndarray          # [n_items] theme index
    sequences: pd.DataFrame         # user, seq, time, items (tuple of item positions)
    item_lat: np.ndarray = field(default_factory=lambda: np.empty(0))   # [n_items]
    item_lon: np.ndarray = field(default_factory=lambda: np.empty(0))   # [n_items]

    def theme_matrix(self) -> sp.csr_matrix:
        """One-hot POI themes, [n_items, n_themes] float32."""
        n = self.n_items
        return sp.csr_matrix((np.ones(n, np.float32), (np.arange(n), self.item_theme)),
                             shape=(n, len(self.themes)))


def _read_csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=";", skipinitialspace=True)
    frame.columns = [str(c).strip().strip('"') for c in frame.columns]
    return frame


def load_city(folder: str | Path) -> CityData:
    """Read a ``lim/`` folder (or a city folder containing one)."""
    root = Path(folder)
    if (root / "lim").is_dir():
        root = root / "lim"
    pois = sorted(root.glob("POI-*.csv"))
    visits = sorted(root.glob("userVisits-*-allPOI.csv"))
    if not pois or not visits:
        raise FileNotFoundError(f"{root} has no POI-*.csv / userVisits-*-allPOI.csv (lim format).")
    poi = _read_csv(pois[0])
    vis = _read_csv(visits[0])
    poi_ids = sorted(int(p) for p in poi["poiID"])
    pos = {p: j for j, p in enumerate(poi_ids)}
    theme_of = {int(p): str(t).strip() for p, t in zip(poi["poiID"], poi["theme"])}
    themes = sorted(set(theme_of.values()))
    item_theme = np.array([themes.index(theme_of[p]) for p in poi_ids], dtype=np.int64)
    coords = poi.assign(poiID=poi["poiID"].astype(int)).set_index("poiID").loc[poi_ids]
    vis = vis[vis["poiID"].astype(int).isin(pos)]
    users = {u: j for j, u in enumerate(sorted(vis["userID"].astype(str).unique()))}
    frame = pd.DataFrame({
        "user": vis["userID"].astype(str).map(users).to_numpy(),
        "seq": vis["seqID"].astype(int).to_numpy(),
        "time": vis["dateTaken"].astype(np.int64).to_numpy(),
        "item": vis["poiID"].astype(int).map(pos).to_numpy(),
    })
    seqs = (frame.groupby(["user", "seq"], sort=True)
            .agg(time=("time", "min"), items=("item", lambda s: tuple(sorted(set(s)))))
            .reset_index())
    name = pois[0].stem.split("-", 1)[1]
    return CityData(name=name, n_items=len(poi_ids), themes=themes, item_theme=item_theme,
                    sequences=seqs, item_lat=coords["lat"].to_numpy(dtype=float),
                    item_lon=coords["long"].to_numpy(dtype=float))


def split_last_sequence(seqs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): test = last sequence in time of each user with >= 2 sequences."""
    ordered = seqs.sort_values(["user", "time", "seq"], kind="stable")
    counts = ordered.groupby("user")["seq"].transform("size")
    last = ordered.groupby("user").cumcount(ascending=False) == 0
    test_mask = last & (counts >= 2)
    return ordered[~test_mask], ordered[test_mask]


def interaction_matrix(train: pd.DataFrame, n_users: int, n_items: int) -> sp.csr_matrix:
    """[n_users, n_items] number of training sequences containing each POI."""
    rows = np.repeat(train["user"].to_numpy(), train["items"].map(len).to_numpy())
    cols = np.fromiter(itertools.chain.from_iterable(train["items"]), dtype=np.int64)
    m = sp.csr_matrix((np.ones(cols.size, np.float32), (rows, cols)), shape=(n_users, n_items))
    m.sum_duplicates()
    return m


def last_sequence_matrix(train: pd.DataFrame, n_users: int, n_items: int) -> sp.csr_matrix:
    """[n_users, n_items] 1 for the POIs of each user's most recent training sequence."""
    latest = train.sort_values(["user", "time", "seq"], kind="stable").groupby("user").tail(1)
    return interaction_matrix(latest, n_users, n_items).sign()


@dataclass
class Fold:
    """Training interactions and held-out truth for one split.

    With ``exclude_seen`` the POIs a user visited in training are removed from both their
    ranking and their relevant set (the discovery task), and users left with no relevant
    POI are dropped. ``train`` is the training sequences; ``recent`` marks the POIs of
    each user's latest training sequence.
    """

    inter: sp.csr_matrix
    users: np.ndarray
    relevant: list[set[int]]
    tail: np.ndarray
    exclude_seen: bool = False
    train: pd.DataFrame | None = None
    recent: sp.csr_matrix | None = None

    @property
    def popularity(self) -> np.ndarray:
        """Training sequences containing each POI; [n_items]."""
        return np.asarray(self.inter.sum(axis=0), dtype=np.float64).ravel()

    def mask_seen(self, scores: np.ndarray) -> np.ndarray:
        """Scores [n_test_users, n_items] as float64, seen POIs at -inf under ``exclude_seen``."""
        out = np.array(scores, dtype=np.float64)
        if self.exclude_seen:
            out[self.inter[self.users].nonzero()] = -np.inf
        return out

    def scores(self, scorer) -> np.ndarray:  # noqa: ANN001 - Scorer, see flickr_methods
        """Scores of ``scorer`` for the fold's users, seen POIs masked under ``exclude_seen``."""
        return self.mask_seen(np.asarray(scorer(self.users), dtype=np.float64))


def make_fold(city: CityData, train: pd.DataFrame, test: pd.DataFrame, n_users: int,
              exclude_seen: bool = False) -> Fold:
    """The fold that trains on ``train`` and evaluates the users of ``test``."""
    inter = interaction_matrix(train, n_users, city.n_items)
    counts = np.asarray(inter.sum(axis=0)).ravel()
    users = test["user"].to_numpy()
    relevant = [set(items) for items in test["items"]]
    if exclude_seen:
        relevant = [rel - set(inter[u].indices.tolist()) for u, rel in zip(users, relevant)]
        keep = np.array([bool(r) for r in relevant], dtype=bool)
        users = users[keep]
        relevant = [r for r in relevant if r]
    return Fold(inter=inter, users=users, relevant=relevant, tail=long_tail_mask(counts),
                exclude_seen=exclude_seen, train=train,
                recent=last_sequence_matrix(train, n_users, city.n_items))


def validation_fold(city: CityData, train: pd.DataFrame, eval_users: set[int], n_users: int,
                    exclude_seen: bool = False) -> Fold:
    """Validation inside the training data: each evaluated user's last *training* sequence
    (users with >= 2 training sequences) is held out; the rest of ``train`` trains."""
    v_train, v_test = split_last_sequence(train)
    v_test = v_test[v_test["user"].isin(eval_users)]
    v_train = train[~train.index.isin(v_test.index)]
    return make_fold(city, v_train, v_test, n_users, exclude_seen=exclude_seen)


def validation_folds(city: CityData, train: pd.DataFrame, eval_users: set[int], n_users: int,
                     n_folds: int = 2, exclude_seen: bool = False) -> list[Fold]:
    """Rolling-origin validation: fold 1 holds out each evaluated user's last training
    sequence; fold ``j + 1`` does the same on fold ``j``'s training data (so it holds out
    the sequence before), for users who still have >= 2 sequences. More folds mean more
    validation users per choice, hence less noisy choices on these small cities."""
    if n_folds < 1:
        raise ValueError("n_folds must be 1 or larger.")
    folds: list[Fold] = []
    data = train
    for _ in range(n_folds):
        fold = validation_fold(city, data, eval_users, n_users, exclude_seen=exclude_seen)
        if not len(fold.users):
            break
        folds.append(fold)
        assert fold.train is not None
        data = fold.train
    return folds
