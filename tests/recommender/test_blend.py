import numpy as np
import pytest
import scipy.sparse as sp

from causeway.recommender.blend import (
    MODEL_ONLY, BlendTerms, PriorBlend, blend_scores, popularity_prior, standardise_rows,
)
from causeway.recommender.evaluation.flickr_methods import ndcg_matrix
from causeway.recommender.evaluation.metrics import ndcg_at_k
from causeway.recommender.features import geo_cells
from causeway.recommender.model import top_k


def test_standardise_rows_and_popularity_prior():
    z = standardise_rows(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]))
    np.testing.assert_allclose(z[0], [-1.224745, 0.0, 1.224745], rtol=1e-5)
    np.testing.assert_array_equal(z[1], 0.0)  # a constant row carries no preference
    p = popularity_prior(np.array([0.0, 9.0, 99.0]))
    assert p[0] < p[1] < p[2] and abs(p.mean()) < 1e-12
    with pytest.raises(ValueError, match="2-d"):
        standardise_rows(np.zeros(3))


def test_model_only_keeps_each_visitors_ranking():
    scores = np.array([[0.1, 3.0, -2.0, 0.5], [10.0, 20.0, 30.0, 0.0]])
    out = blend_scores(scores, MODEL_ONLY)
    for row, raw in zip(out, scores):
        assert list(np.argsort(-row)) == list(np.argsort(-raw))


def test_revisit_prior_puts_known_places_first_most_visited_first():
    scores = np.array([[5.0, 4.0, 3.0, 2.0, 1.0]])
    history = sp.csr_matrix(np.array([[0, 0, 1, 0, 3]], dtype=np.float32))
    out = blend_scores(scores, PriorBlend(revisit=16.0, model=1.0), history=history)
    assert list(top_k(out[0], 5)) == [4, 2, 0, 1, 3]
    # a small revisit weight only nudges: the model's favourite stays first
    nudged = blend_scores(scores, PriorBlend(revisit=0.1, model=1.0), history=history)
    assert top_k(nudged[0], 1)[0] == 0


def test_popularity_and_recent_terms():
    popularity = np.array([1.0, 100.0, 10.0])
    out = blend_scores(None, PriorBlend(popularity=1.0, model=0.0), history=np.zeros((2, 3)),
                       popularity=popularity)
    assert [list(top_k(r, 3)) for r in out] == [[1, 2, 0], [1, 2, 0]]
    recent = np.array([[1, 0, 0], [0, 0, 0]])
    out = blend_scores(None, PriorBlend(recent=5.0, popularity=1.0, model=0.0),
                       recent=recent, popularity=popularity)
    assert list(top_k(out[0], 3)) == [0, 1, 2] and list(top_k(out[1], 3)) == [1, 2, 0]


def test_terms_combine_equals_blend_scores():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(4, 6))
    history = sp.random(4, 6, density=0.4, random_state=1, format="csr") * 3
    recent = sp.random(4, 6, density=0.2, random_state=2, format="csr")
    pop = rng.integers(0, 50, 6).astype(float)
    terms = BlendTerms.build(scores, history=history, recent=recent, popularity=pop)
    for blend in (PriorBlend(1, 0.5, 1, 0.25), PriorBlend(16, 0, 0, 1), MODEL_ONLY):
        np.testing.assert_allclose(
            terms.combine(blend),
            blend_scores(scores, blend, history=history, recent=recent, popularity=pop))


def test_missing_inputs_and_bad_weights_are_clear_errors():
    with pytest.raises(ValueError, match="needs history"):
        blend_scores(np.zeros((1, 3)), PriorBlend(revisit=1.0))
    with pytest.raises(ValueError, match="needs scores"):
        blend_scores(None, PriorBlend(model=1.0), history=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="popularity has 2 items"):
        blend_scores(np.zeros((1, 3)), PriorBlend(popularity=1.0), popularity=np.ones(2))
    with pytest.raises(ValueError, match="history has shape"):
        blend_scores(np.zeros((1, 3)), PriorBlend(revisit=1.0), history=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=">= 0"):
        PriorBlend(revisit=-1.0)


def test_vectorised_ndcg_matches_the_reference_metric():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(30, 12))
    scores[:, 5] = scores[:, 6]  # ties are broken by item index in both
    scores[0, :4] = -np.inf      # masked items
    relevant = [set(rng.choice(12, size=int(rng.integers(0, 4)), replace=False).tolist())
                for _ in range(30)]
    rel = np.zeros((30, 12))
    for r, items in enumerate(relevant):
        rel[r, list(items)] = 1.0
    expected = ndcg_at_k([top_k(row, 10) for row in scores], relevant, 10)
    assert ndcg_matrix(scores, rel, 10) == pytest.approx(expected)


def test_geo_cells_group_nearby_points():
    lat = np.array([55.8600, 55.8601, 55.9000, np.nan])
    lon = np.array([-4.2500, -4.2501, -4.2500, -4.0])
    cells = geo_cells(lat, lon, cell_km=1.0)
    assert cells[0] == cells[1] and cells[0] != cells[2] and cells[3] == "unknown"
    assert len(set(geo_cells(lat[:3], lon[:3], cell_km=100.0))) == 1
    with pytest.raises(ValueError, match="positive"):
        geo_cells(lat, lon, cell_km=0)


def _toy_fold(relevant_items):
    from causeway.recommender.evaluation.flickr_data import Fold

    n = len(relevant_items)
    inter = sp.csr_matrix(np.array([[3, 0, 1, 0]] * n, dtype=np.float32))  # item 0 popular
    return Fold(inter=inter, users=np.arange(n), relevant=[{i} for i in relevant_items],
                tail=np.zeros(4, bool), recent=sp.csr_matrix((n, 4), dtype=np.float32))


@pytest.mark.parametrize("share_for_model, expected_weight", [(0.52, 0.1), (1.0, 1.0)])
def test_tune_prefers_the_lighter_blend_unless_clearly_better(share_for_model, expected_weight):
    """One-standard-error rule: a blend that leans on the model must beat the lighter one
    by more than noise."""
    from causeway.recommender.evaluation.flickr_methods import tune

    n = 200
    relevant = [1 if u < share_for_model * n else 0 for u in range(n)]
    fold = _toy_fold(relevant)

    def build(_params, _seed):
        return lambda users: np.tile(np.array([0.0, 1.0, 0.2, 0.1]), (len(users), 1))

    blends = [PriorBlend(popularity=1.0, model=0.1), PriorBlend(popularity=1.0, model=1.0)]
    tuned = tune("toy", [fold], 4, [{}], [build], (0,), blends)
    assert tuned.prior_blend.model == expected_weight
