"""The Flickr evaluation harness on a tiny synthetic folder in lim/ format."""

import argparse
import json

import numpy as np
import pytest

from causeway.recommender.evaluation import flickr_recsys as fr


def _write_lim(root, n_users: int = 40, seed: int = 0, max_sequences: int = 3):
    """POI-Test.csv and userVisits-Test-allPOI.csv shaped like Lim's files (quoted, CRLF)."""
    rng = np.random.default_rng(seed)
    lim = root / "lim"
    lim.mkdir(parents=True)
    themes = ["Museum", "Park", "Park", "Museum", "Shopping", "Shopping", "Park", "Museum"]
    poi_lines = ["poiID;poiName;lat;long;theme"] + [
        f"{i + 1};Place_{i + 1};55.{9400 + i}; -3.{1900 + i};{t}" for i, t in enumerate(themes)]
    (lim / "POI-Test.csv").write_bytes(("\r\n".join(poi_lines) + "\r\n").encode())
    rows = ['"photoID";"userID";"dateTaken";"poiID";"poiTheme";"poiFreq";"seqID"']
    photo, seq = 1, 1
    for u in range(n_users):
        liked = [i for i, t in enumerate(themes) if t == ("Museum", "Park")[u % 2]]
        t0 = 1_300_000_000 + u * 10_000_000
        for s in range(int(rng.integers(1, max_sequences + 1))):
            for poi in rng.choice(liked, size=int(rng.integers(1, 3)), replace=False):
                for _ in range(2):
                    rows.append(f'{photo};"{u}@N0{u % 7}";{t0 + s * 86_400 + photo};"{poi + 1}";'
                                f'"{themes[poi]}";"10";{seq}')
                    photo += 1
            seq += 1
    (lim / "userVisits-Test-allPOI.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return root


def test_load_and_split(tmp_path):
    city = fr.load_city(_write_lim(tmp_path))
    assert city.name == "Test" and city.n_items == 8 and city.themes == ["Museum", "Park", "Shopping"]
    train, test = fr.split_last_sequence(city.sequences)
    per_user = city.sequences.groupby("user").size()
    assert set(test["user"]) == set(per_user[per_user >= 2].index)
    # the held-out sequence is each user's latest
    latest = city.sequences.sort_values("time").groupby("user").tail(1)
    assert set(zip(test["user"], test["seq"])) <= set(zip(latest["user"], latest["seq"]))
    assert len(train) + len(test) == len(city.sequences)


@pytest.mark.parametrize("exclude_seen", [False, True])
def test_run_json(tmp_path, capsys, exclude_seen):
    folder = _write_lim(tmp_path)
    parser = argparse.ArgumentParser()
    fr.add_arguments(parser)
    argv = ["--flickr", str(folder), "--json", "--seeds", "2", "--quick"]
    assert fr.run(parser.parse_args(argv + (["--exclude-seen"] if exclude_seen else []))) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["exclude_seen"] is exclude_seen
    methods = set(report["results"])
    plain = {"popularity", "item-kNN", "LightFM CF", "LightFM hybrid"}
    assert plain <= methods and {f"{m} + prior" for m in plain} <= methods
    assert {"LightFM hybrid + prior + rerank", "LightFM hybrid + prior + reach 3 km"} <= methods
    # every "+ prior" choice was made on validation, and the method keeps weight in its blend
    for name, choice in report["tuned"].items():
        assert 0.0 <= choice["prior"]["validation_ndcg@10"] <= 1.0
        assert (choice["prior"]["blend"]["model"] > 0) is (name != "popularity")
    for res in report["results"].values():
        assert set(res) == set(fr.METRICS)
        assert 0.0 <= res["ndcg@10"]["mean"] <= 1.0
    assert report["results"]["popularity"]["ndcg@10"]["std"] == 0.0


def test_missing_folder_is_a_clear_error(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    fr.add_arguments(parser)
    assert fr.run(parser.parse_args(["--flickr", str(tmp_path)])) == 2
    assert "lim format" in capsys.readouterr().err


def test_table_format(tmp_path):
    report = fr.evaluate_city(_write_lim(tmp_path), seeds=(0,), tune_seeds=(0,),
                              lightfm_grid={"epochs": (2,)}, hybrid_grid={"epochs": (2,)})
    table = fr.format_table(report)
    assert "| LightFM hybrid |" in table and "ndcg@10" in table
    assert "LightFM hybrid + prior minus each method" in table
    paired = report["paired_ndcg@10"]
    assert "LightFM hybrid + prior" not in paired and paired["popularity"]["se"] >= 0.0
    # the paired mean difference is the difference of the reported means
    res = report["results"]
    assert paired["popularity"]["diff"] == pytest.approx(
        res["LightFM hybrid + prior"]["ndcg@10"]["mean"] - res["popularity"]["ndcg@10"]["mean"])
    assert "- LightFM hybrid + prior" not in table and "- LightFM hybrid: " in table


def test_validation_never_sees_the_test_sequences(tmp_path):
    city = fr.load_city(_write_lim(tmp_path))
    n_users = int(city.sequences["user"].max()) + 1
    train, test = fr.split_last_sequence(city.sequences)
    fold = fr.make_fold(city, train, test, n_users)
    vfold = fr.validation_fold(city, train, set(fold.users.tolist()), n_users)
    assert not set(vfold.train.index) & set(test.index)
    # the validation truth is each user's last *training* sequence
    v_last = train.sort_values("time").groupby("user").tail(1).set_index("user")["items"]
    assert all(rel == set(v_last[u]) for u, rel in zip(vfold.users, vfold.relevant))
    held_out = vfold.inter.sum() + sum(len(v_last[u]) for u in vfold.users)
    assert held_out == fold.inter.sum()


def test_latest_sequence_and_reach(tmp_path):
    city = fr.load_city(_write_lim(tmp_path))
    assert city.item_lat.shape == (8,) and city.item_lat[0] == pytest.approx(55.94)
    n_users = int(city.sequences["user"].max()) + 1
    train, test = fr.split_last_sequence(city.sequences)
    fold = fr.make_fold(city, train, test, n_users)
    latest = train.sort_values("time").groupby("user").tail(1)
    for u, items in zip(latest["user"], latest["items"]):
        assert set(fold.recent[u].indices) == set(items)
    reach = fr.reach_masks(city, fold, max_km=0.005)  # the synthetic POIs are >= 13 m apart
    single = [r for r, u in enumerate(fold.users) if fold.recent[u].nnz == 1]
    assert single and all(set(np.flatnonzero(reach[r])) == set(fold.recent[fold.users[r]].indices)
                          for r in single)
    assert fr.reach_masks(city, fold, max_km=50.0).all()


def test_grid_overrides():
    assert fr.parse_overrides(["epochs=10,20", "loss=bpr", "user_history=true", "item_alpha=1e-5"]) == {
        "epochs": (10, 20), "loss": ("bpr",), "user_history": (True,), "item_alpha": (1e-5,)}
    for bad in ("epochs", "epochs=", "colour=red"):
        with pytest.raises(ValueError, match="--set"):
            fr.parse_overrides([bad])


def test_rolling_validation_folds_step_back_in_time(tmp_path):
    city = fr.load_city(_write_lim(tmp_path, max_sequences=5))
    n_users = int(city.sequences["user"].max()) + 1
    train, test = fr.split_last_sequence(city.sequences)
    users = set(test["user"].tolist())
    first, second = fr.validation_folds(city, train, users, n_users, n_folds=2)
    assert set(second.train.index) < set(first.train.index) < set(train.index)
    held_first = set(train.index) - set(first.train.index)
    held_second = set(first.train.index) - set(second.train.index)
    assert held_first and held_second
    # fold 2 holds out, per user, a sequence no later than the one fold 1 held out
    t1 = train.loc[list(held_first)].groupby("user")["time"].min()
    t2 = train.loc[list(held_second)].groupby("user")["time"].max()
    assert (t2 <= t1.reindex(t2.index)).all()
    assert len(fr.validation_folds(city, train, users, n_users, n_folds=1)) == 1
