import numpy as np
import pandas as pd
import pytest

from causeway.recommender.features import FeatureEncoder, band_label, item_encoder, user_encoder
from causeway.recommender.interactions import build_interactions, event_weights


def test_band_label():
    edges = (1, 3, 7)
    assert [band_label(x, edges) for x in (1, 2, 3, 5, 7, 10)] == [
        "<=1", "2-3", "2-3", "4-7", "4-7", ">7"]


def test_item_encoder_vocabulary_and_rows(items):
    enc = item_encoder()
    m = enc.fit_transform(items)
    assert m.shape == (len(items), enc.n_features)
    names = enc.feature_names
    assert names[0] == "id:a0"
    for expected in ("categories:history", "area:area1", "provider_size:small",
                     "price_band:free", "indoor:yes", "indoor:no"):
        assert expected in enc.vocabulary_
    # rows sum to 1 (normalised) and carry identity + attributes
    np.testing.assert_allclose(np.asarray(m.sum(axis=1)).ravel(), 1.0, rtol=1e-6)
    row = m[0].indices
    assert enc.vocabulary_["id:a0"] in row and enc.vocabulary_["categories:history"] in row


def test_new_item_cold_start_has_no_identity(items):
    enc = item_encoder().fit(items)
    new = pd.DataFrame([{"attraction_id": "brand-new", "categories": "history|food",
                         "area": "area0", "colour": "ignored", "tags": None}])
    row = enc.transform(new)
    names = [enc.feature_names[j] for j in row.indices]
    assert sorted(names) == ["area:area0", "categories:food", "categories:history"]


def test_unknown_labels_are_dropped_and_empty_row_ok(items):
    enc = item_encoder().fit(items)
    row = enc.transform(pd.DataFrame([{"attraction_id": "x", "categories": ["opera"]}]))
    assert row.nnz == 0


def test_user_encoder_stay_band_and_roundtrip(users_events):
    users, _ = users_events
    enc = user_encoder().fit(users)
    assert "stay_days:2-3" in enc.vocabulary_ and "interests:food" in enc.vocabulary_
    profile = enc.transform_records([{"interests": ["food"], "stay_days": 3,
                                      "travel_mode": "foot"}])
    names = sorted(enc.feature_names[j] for j in profile.indices)
    assert names == ["interests:food", "stay_days:2-3", "travel_mode:foot"]
    again = FeatureEncoder.from_dict(enc.to_dict())
    assert (again.transform(users) != enc.transform(users)).nnz == 0


def test_duplicate_ids_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        item_encoder().fit(pd.DataFrame({"attraction_id": ["a", "a"]}))


def test_event_weights_order_and_decay():
    now = pd.Timestamp("2025-06-01", tz="UTC")
    ev = pd.DataFrame({
        "event_type": ["visit", "save", "media_play", "detail_view", "impression", "visit"],
        "timestamp": [now] * 5 + [now - pd.Timedelta(days=30)],
    })
    w = event_weights(ev, half_life_days=30, now=now)
    assert w[0] > w[1] > w[2] > w[3] > w[4] > 0
    assert w[5] == pytest.approx(w[0] / 2)


def test_build_interactions_sums_caps_and_drops_unknown():
    ev = pd.DataFrame({
        "visitor_id": ["u1", "u1", "u1", "u2", "ghost"],
        "attraction_id": ["a", "a", "b", "b", "a"],
        "event_type": ["visit", "visit", "detail_view", "impression", "visit"],
        "timestamp": [0.0] * 5,
    })
    inter, weight = build_interactions(ev, {"u1": 0, "u2": 1}, {"a": 0, "b": 1},
                                       half_life_days=None, max_weight=8.0)
    dense = weight.toarray()
    assert dense[0, 0] == pytest.approx(8.0)   # 5 + 5 capped at 8
    assert dense[0, 1] == pytest.approx(1.0)
    assert dense[1, 1] == pytest.approx(0.1)
    assert inter.nnz == weight.nnz == 3
