import numpy as np
import pytest
import scipy.sparse as sp

from causeway.recommender.evaluation.metrics import exposure_gini
from causeway.recommender.rerank import (
    NO_RERANK, RerankConfig, exposure_by_group, filter_mask, haversine_km, rerank,
    solve_exposure_price,
)

N = 40
# item i: category i % 4 ("castles" are category 0), area i % 5, small provider if i >= 30
CATS = sp.csr_matrix((np.ones(N), (np.arange(N), np.arange(N) % 4)), shape=(N, 4))
AREAS = np.arange(N) % 5
SMALL = np.arange(N) >= 30


def _scores(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = rng.normal(0, 0.1, N)
    s[np.arange(N) % 4 == 0] += 0.5   # castles score highest
    s[SMALL] -= 1.0                    # small providers score low
    return s


def test_no_rerank_is_plain_top_k():
    s = _scores()
    np.testing.assert_array_equal(rerank(s, 5, config=NO_RERANK),
                                  np.argsort(-s, kind="stable")[:5])


def test_diversity_breaks_runs_of_one_category():
    s = _scores()
    plain = rerank(s, 5, item_categories=CATS, config=NO_RERANK)
    assert len(set(plain % 4)) == 1                       # five castles in a row
    diverse = rerank(s, 5, item_categories=CATS, item_areas=AREAS,
                     config=RerankConfig(diversity=0.5, min_small_share=0.0,
                                         small_provider_boost=0.0))
    assert len(set(diverse % 4)) >= 3
    assert diverse[0] == plain[0]                          # the best item stays first


def test_fairness_raises_small_provider_share():
    lists_plain, lists_fair = [], []
    for seed in range(20):
        s = _scores(seed)
        lists_plain.append(rerank(s, 10, small_provider=SMALL, config=NO_RERANK))
        lists_fair.append(rerank(s, 10, small_provider=SMALL,
                                 config=RerankConfig(diversity=0.0, min_small_share=0.3)))
    group = np.where(SMALL, "small", "other")
    plain = exposure_by_group(lists_plain, group).get("small", 0.0)
    fair = exposure_by_group(lists_fair, group)["small"]
    assert fair > plain + 0.1 and fair > 0.15  # position-discounted share
    assert all(SMALL[r].sum() >= 3 for r in lists_fair)
    # The quota serves the group, not each item: the best small items take the slots,
    # so item-level concentration (Gini) need not fall; the evaluation reports both.
    assert exposure_gini(lists_fair, N, 10) > 0.0


def test_the_exposure_price_picks_members_and_keeps_the_score_order():
    batch = np.stack([_scores(seed) for seed in range(20)])
    cfg = RerankConfig(diversity=0.0, small_provider_boost=0.0, min_small_share=0.0)
    solved = solve_exposure_price(batch, SMALL, 10, 0.15, cfg)
    assert solved["share_before"] == 0.0 and solved["visitors"] == 20
    assert solved["share_after"] >= 0.15 and solved["price"] > 0
    priced = RerankConfig(diversity=0.0, small_provider_boost=0.0, min_small_share=0.0,
                          exposure_price=solved["price"])
    lists = [rerank(s, 10, small_provider=SMALL, config=priced) for s in batch]
    # the re-ranker gives the share the price was solved for (no diversity term here)...
    assert np.mean([SMALL[r].mean() for r in lists]) == pytest.approx(solved["share_after"])
    # ...cheap swaps only: some lists take small providers, not every list the same number
    assert len({int(SMALL[r].sum()) for r in lists}) > 1
    for s, r in zip(batch, lists):
        # shown in score order, and only the weakest of the plain list made room
        assert list(r) == sorted(r, key=lambda i: -s[i])
        plain = rerank(s, 10, config=NO_RERANK)
        kept = [i for i in plain if i in set(r.tolist())]
        assert kept == list(plain[:len(kept)])
    # with diversity the members are still chosen with the price, the order without it
    div = RerankConfig(diversity=0.3, small_provider_boost=0.0, min_small_share=0.0,
                       exposure_price=solved["price"])
    with_div = [rerank(s, 10, item_categories=CATS, item_areas=AREAS, small_provider=SMALL,
                       config=div) for s in batch]
    assert np.mean([SMALL[r].mean() for r in with_div]) > 0.05
    with pytest.raises(ValueError):
        RerankConfig(exposure_price=-1.0)


def test_quota_never_invents_items():
    s = _scores()
    mask = ~SMALL            # no small provider is eligible
    out = rerank(s, 10, small_provider=SMALL, mask=mask, config=RerankConfig(min_small_share=0.5))
    assert len(out) == 10 and not SMALL[out].any()


def test_filters_open_callable_and_distance():
    dist = np.linspace(0, 20, N)
    closed = {3, 4}
    mask = filter_mask(N, open_during_stay=lambda idx: np.array([i not in closed for i in idx]),
                       distances_km=dist, max_km=5.0)
    assert not mask[3] and not mask[4] and mask[0] and not mask[-1]
    out = rerank(_scores(), 20, mask=mask)
    assert set(out) <= set(np.flatnonzero(mask))
    with pytest.raises(ValueError):
        filter_mask(N, max_km=1.0)


def test_exposure_by_group_and_haversine():
    shares = exposure_by_group([np.array([0, 1])], np.array(["a", "b"]), position_discount=False)
    assert shares == {"a": 0.5, "b": 0.5}
    shares = exposure_by_group([np.array([0, 1])], np.array(["a", "b"]))
    assert shares["a"] > shares["b"]
    # Belfast City Hall -> Titanic Belfast is about 1.7 km
    d = haversine_km(54.5964, -5.9301, np.array([54.6081]), np.array([-5.9100]))
    assert 1.5 < d[0] < 1.9


def test_config_validation():
    with pytest.raises(ValueError):
        RerankConfig(diversity=1.5)
