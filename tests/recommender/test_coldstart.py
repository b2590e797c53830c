"""Cold-start protocols on small generated lim/ folders (never the real data)."""

import argparse
import json

import numpy as np
import pytest

from causeway.recommender.evaluation import coldstart as cs
from causeway.recommender.evaluation import flickr_recsys as fr
from causeway.recommender.evaluation.flickr_data import load_city, split_last_sequence

THEMES = ("Museum", "Park", "Shopping")


def write_city(root, n_users: int = 90, n_pois: int = 15, seed: int = 0):
    """Users each like one theme and visit only its POIs; POIs of a theme sit together
    (one cluster per theme, about 3 km apart), so theme and place both carry the signal."""
    rng = np.random.default_rng(seed)
    lim = root / "lim"
    lim.mkdir(parents=True)
    themes = [THEMES[i % 3] for i in range(n_pois)]
    lines = ["poiID;poiName;lat;long;theme"]
    for i, t in enumerate(themes):
        c = THEMES.index(t)
        lines.append(f"{i + 1};P{i + 1};{55.90 + 0.03 * c + 0.001 * i:.4f}; "
                     f"{-3.20 + 0.002 * i:.4f};{t}")
    (lim / "POI-Gen.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    rows = ['"photoID";"userID";"dateTaken";"poiID";"poiTheme";"poiFreq";"seqID"']
    photo, seq = 1, 1
    for u in range(n_users):
        liked = [i for i, t in enumerate(themes) if t == THEMES[u % 3]]
        t0 = 1_300_000_000 + u * 10_000_000
        for s in range(int(rng.integers(2, 5))):
            for poi in rng.choice(liked, size=int(rng.integers(1, 3)), replace=False):
                rows.append(f'{photo};"{u}@N01";{t0 + s * 86_400 + photo};"{poi + 1}";'
                            f'"{themes[poi]}";"10";{seq}')
                photo += 1
            seq += 1
    (lim / "userVisits-Gen-allPOI.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return root


def test_item_folds_partition_the_catalogue_seeded():
    folds = cs.item_folds(23, 5, seed=3)
    assert len(folds) == 5 and sorted(np.concatenate(folds).tolist()) == list(range(23))
    assert {len(f) for f in folds} <= {4, 5}
    assert all(np.array_equal(a, b) for a, b in zip(folds, cs.item_folds(23, 5, seed=3)))
    assert not all(np.array_equal(a, b) for a, b in zip(folds, cs.item_folds(23, 5, seed=4)))


def test_cold_items_are_absent_from_training(tmp_path):
    city = load_city(write_city(tmp_path))
    train, test = split_last_sequence(city.sequences)
    cold = np.array([0, 4, 7])
    task = cs.flickr_item_task(city, train, test, cold, int(city.sequences["user"].max()) + 1,
                               np.random.default_rng(0))
    assert sorted(task.cold.tolist()) == [0, 4, 7]
    assert task.inter[:, cold].nnz == 0 and task.inter.nnz > 0
    # every test user visits a cold POI in their test sequence, and only those are relevant
    by_user = dict(zip(test["user"], test["items"]))
    assert len(task.users) > 0
    for u, rel in zip(task.users, task.relevant):
        assert {int(task.cold[j]) for j in rel} == set(by_user[u]) & {0, 4, 7}


def test_baselines_known_answers(tmp_path):
    city = load_city(write_city(tmp_path))
    train, test = split_last_sequence(city.sequences)
    n_users = int(city.sequences["user"].max()) + 1
    task = cs.flickr_item_task(city, train, test, np.array([0, 1, 2]), n_users,
                               np.random.default_rng(0))
    # theme popularity: the mean training visits of the warm POIs of each cold POI's theme
    pop = np.asarray(task.inter.sum(axis=0)).ravel()
    expected = [pop[[j for j in task.warm if city.item_theme[j] == city.item_theme[i]]].mean()
                for i in task.cold]
    assert np.allclose(cs.theme_popularity(task)[0], expected)
    # nearest to history: a user's own theme cluster is nearest, so its cold POI ranks first
    near = cs.nearest_to_history(task)
    checked = 0
    for r, u in enumerate(task.users):
        history = task.inter[u].indices
        if not history.size:
            continue
        liked = {int(city.item_theme[i]) for i in history}  # write_city: one theme a user
        best = int(task.cold[int(np.argmax(near[r]))])
        assert {int(city.item_theme[best])} == liked
        checked += 1
    assert checked > 10


def test_hybrid_ranks_new_pois_from_their_features(tmp_path):
    """The hybrid never saw the cold POIs, but their theme and place match the users who
    visit them: it must rank them far above a random order."""
    city = load_city(write_city(tmp_path))
    train, test = split_last_sequence(city.sequences)
    n_users = int(city.sequences["user"].max()) + 1
    task = cs.flickr_item_task(city, train, test, np.array([0, 1, 2, 3, 4, 5]), n_users,
                               np.random.default_rng(0))
    params = {"no_components": 8, "epochs": 20, "learning_rate": 0.05, "item_identity": False,
              "theme_weight": 1.0, "area_weight": 0.5, "near_weight": 1.0}
    scores = cs.hybrid_scores(task, params, seed=0)
    cold_theme = city.item_theme[task.cold]
    top2_own = []
    for r, u in enumerate(task.users):
        if not task.inter[u].nnz:
            continue
        liked = city.item_theme[task.inter[u].indices[0]]  # write_city: one theme a user
        top2 = np.argsort(-scores[r])[:2]
        top2_own.append(bool((cold_theme[top2] == liked).all()))
    assert len(top2_own) > 10 and np.mean(top2_own) >= 0.9
    rel = task.relevance()
    hybrid = cs.per_user_metrics(scores, rel)["ndcg@10"].mean()
    rand = cs.per_user_metrics(cs.random_scores(task, seed=0), rel)["ndcg@10"].mean()
    assert hybrid > rand + 0.2


def test_cli_item_cold_json(tmp_path, capsys):
    folder = write_city(tmp_path)
    parser = argparse.ArgumentParser()
    fr.add_arguments(parser)
    assert fr.run(parser.parse_args(["--flickr", str(folder), "--protocol", "item-cold",
                                     "--quick", "--json"])) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["protocol"] == "item-cold" and len(report["folds"]) == 5
    assert set(report["results"]) == {"random", "theme popularity", "nearest to history",
                                      "theme of history", "theme popularity + geo",
                                      cs.HYBRID, cs.HYBRID_GEO}
    assert report["n_test_pairs"] == sum(f["test_users"] for f in report["folds"]) > 0
    for d in report["paired_ndcg@10"].values():
        assert d["se"] >= 0 and d["n"] == report["n_test_pairs"]
    text = cs.format_item_cold(report)
    assert "| LightFM hybrid + geo |" in text


def test_user_task_holds_new_users_out(tmp_path):
    city = load_city(write_city(tmp_path))
    seqs = city.sequences
    folds = cs.user_folds(seqs, 5, seed=0)
    counts = seqs.groupby("user").size()
    assert sorted(np.concatenate(folds).tolist()) == sorted(counts[counts >= 2].index.tolist())
    new = folds[0]
    task = cs.flickr_user_task(city, seqs, new)
    n_users = int(seqs["user"].max()) + 1
    assert task.inter.shape[0] == n_users - len(new)
    assert task.inter.sum() == sum(len(t) for u, t in zip(seqs["user"], seqs["items"])
                                   if u not in set(new.tolist()))
    ordered = seqs.sort_values(["user", "time", "seq"])
    for r, u in enumerate(sorted(new.tolist())):
        mine = ordered[ordered["user"] == u]
        first_themes = {int(city.item_theme[i]) for i in mine["items"].iloc[0]}
        assert set(np.flatnonzero(task.profiles[r].toarray().ravel()).tolist()) == first_themes
        assert task.relevant[r] == {int(i) for t in mine["items"].iloc[1:] for i in t}


def test_hybrid_serves_new_users_from_their_profile(tmp_path):
    """A new user known only by the theme of their first trip gets that theme's POIs first."""
    city = load_city(write_city(tmp_path))
    task = cs.flickr_user_task(city, city.sequences, cs.user_folds(city.sequences, 5, 0)[0])
    params = {"no_components": 8, "epochs": 20, "learning_rate": 0.05, "user_identity": False,
              "profile": "first", "theme_weight": 1.0}
    scores = cs.user_hybrid_scores(task, params, seed=0)
    own = []
    for r in range(len(task.relevant)):
        theme = int(np.argmax(task.profiles[r].toarray()))
        top5 = np.argsort(-scores[r])[:5]   # write_city: 5 POIs a theme
        own.append(float(np.mean(city.item_theme[top5] == theme)))
    assert len(own) >= 10 and np.mean(own) >= 0.9
    rel = task.relevance()
    hybrid = cs.per_user_metrics(scores, rel)["ndcg@10"].mean()
    pop = cs.per_user_metrics(cs.user_popularity(task), rel)["ndcg@10"].mean()
    assert hybrid > pop + 0.2


def test_cli_user_cold_json(tmp_path, capsys):
    folder = write_city(tmp_path)
    parser = argparse.ArgumentParser()
    fr.add_arguments(parser)
    assert fr.run(parser.parse_args(["--flickr", str(folder), "--protocol", "user-cold",
                                     "--quick", "--json"])) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["protocol"] == "user-cold" and len(report["folds"]) == 5
    assert set(report["results"]) == {"popularity", "theme popularity",
                                      "popularity + theme match", cs.USER_HYBRID,
                                      cs.USER_HYBRID_MATCH}
    assert all(0 <= r["ndcg@10"]["mean"] <= 1 for r in report["results"].values())
    assert "| LightFM hybrid + theme match |" in cs.format_user_cold(report)


@pytest.mark.parametrize("protocol", ["item-cold", "user-cold"])
def test_cli_missing_folder(tmp_path, capsys, protocol):
    parser = argparse.ArgumentParser()
    fr.add_arguments(parser)
    assert fr.run(parser.parse_args(["--flickr", str(tmp_path), "--protocol", protocol])) == 2
    assert "lim format" in capsys.readouterr().err
