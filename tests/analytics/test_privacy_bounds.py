"""Suppression with supports known only as lower bounds (the rollups' sums) hides exactly the
cells it hides with every support exact: bounds below k are not allowed, and secondary
suppression resolves the bounds that could be a group's smallest support."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causeway.analytics import privacy


def _frames(rng: np.random.Generator, n_a: int, n_b: int, k: int):  # type: ignore[no-untyped-def]
    idx = pd.MultiIndex.from_product([range(n_a), range(n_b)], names=["a", "b"])
    support = pd.DataFrame({"x": rng.integers(0, 3 * k, len(idx)), "y": rng.integers(0, 2 * k, len(idx))},
                           index=idx)
    values = support * rng.integers(1, 4, support.shape)
    values[rng.random(support.shape) < 0.1] = 0
    # What the sums give: exact below k (and at random elsewhere), a bound in [k, exact] otherwise.
    exact = (support < k) | (rng.random(support.shape) < 0.3)
    bound = support.where(exact, np.maximum(k, (support * rng.random(support.shape)).astype(int)))
    return values, support, bound, exact


@pytest.mark.parametrize("seed", range(40))
def test_bounds_and_resolution_give_the_exact_decisions(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 12))
    values, support, bound, exact = _frames(rng, int(rng.integers(1, 9)), int(rng.integers(1, 9)), k)
    asked: list[int] = []

    def resolve(metric: str, keys: list) -> dict:  # type: ignore[type-arg]
        asked.append(len(keys))
        return {key: int(support.loc[key, metric]) for key in keys}

    for dims in ((), ("a",), ("b",), ("a", "b")):
        want = privacy.suppress(values, support, k, dims=dims)
        got = privacy.suppress(values, bound, k, dims=dims, exact=exact, resolve=resolve)
        pd.testing.assert_frame_equal(got.primary, want.primary)
        pd.testing.assert_frame_equal(got.secondary, want.secondary)
    assert all(0 < n <= privacy.RESOLVE_BATCH for n in asked)


def test_a_bound_below_k_is_refused() -> None:
    values = pd.DataFrame({"x": [5, 7]}, index=pd.Index([1, 2], name="a"))
    with pytest.raises(ValueError, match="exact"):
        privacy.suppress(values, pd.DataFrame({"x": [3, 12]}, index=values.index), 10,
                         exact=pd.DataFrame({"x": [False, True]}, index=values.index))
