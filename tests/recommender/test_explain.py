import numpy as np
import scipy.sparse as sp

from causeway.recommender.explain import (
    COLLABORATIVE_TEXT, NEAR_TEXT, explain, feature_text, is_reason,
)


def test_feature_text():
    assert feature_text("categories:history") == "history"
    assert feature_text("id:a17") == COLLABORATIVE_TEXT
    assert feature_text("provider_size:small") == "a small local venue"
    assert feature_text("price_band:free") == "free entry"
    assert feature_text("indoor:yes") == "indoors"
    assert feature_text("area:cathedral_quarter") == "in cathedral quarter"


def test_contributions_rank_reasons_and_sum_to_score():
    names = ["id:a0", "categories:history", "categories:food", "area:docks"]
    emb = np.array([[1.0, 0.0], [2.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    bias = np.zeros(4)
    x = sp.csr_matrix(np.array([[0.25, 0.5, 0.0, 0.25], [0.0, 0.0, 1.0, 0.0]]))
    user = np.array([1.0, 0.2, 1.0])          # trailing bias column is ignored
    out = explain(user, [0, 1], x, emb, bias, names, top_n=2,
                  distances_km=np.array([0.5, 9.0]))
    texts = [r.text for r in out[0]]
    assert texts == ["history", COLLABORATIVE_TEXT, NEAR_TEXT]
    # contributions 1.0 (history), 0.25 (identity), 0.05 (area): shares of the positive total
    assert out[0][0].weight == np.float64(1.0 / 1.3).item() or abs(out[0][0].weight - 1 / 1.3) < 1e-9
    assert out[1] == []                        # food counts against this visitor: no reason


def test_pipeline_recommendations_carry_reasons(trained):
    recs = trained.recommend({"interests": ["art"]}, k=4, base=(54.6, -5.93), near_km=100.0)
    assert all(r.reasons for r in recs)
    assert all(any(x.text == NEAR_TEXT for x in r.reasons) for r in recs)
    assert any(x.text == "art" for r in recs for x in r.reasons)


def test_placeholders_and_venue_size_are_never_reasons():
    assert not is_reason("price_band:unknown") and not is_reason("provider_size:medium")
    assert is_reason("provider_size:small") and is_reason("price_band:free") and is_reason("id:7")
    names = ["price_band:unknown", "provider_size:large", "categories:castle"]
    emb = np.array([[3.0], [2.0], [1.0]])
    x = sp.csr_matrix(np.array([[1.0, 1.0, 1.0]]))
    [reasons] = explain(np.array([1.0]), [0], x, emb, np.zeros(3), names, top_n=3)
    # The placeholder and the size class contribute most, yet only the category is shown,
    # with its share of the whole positive score.
    assert [(r.text, round(r.weight, 3)) for r in reasons] == [("castle", round(1 / 6, 3))]
