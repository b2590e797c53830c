"""The Flickr evaluation harness on a tiny synthetic folder in lim/ format."""

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from causeway.recommender.evaluation import flickr_recsys as fr


def _write_lim(root, n_users: int = 40, seed: int = 0):
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
        for s in range(int(rng.integers(1, 4))):
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
    assert {"popularity", "item-kNN", "LightFM CF", "LightFM hybrid", "hybrid + rerank"} <= methods
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
