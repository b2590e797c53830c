"""The CIKM'16 harness on a small generated city (tests never read ../shared)."""

import argparse
import json

import pytest

from causeway.recommender.evaluation import flickr_traj


def _write_city(folder, code="Tcty"):
    folder.mkdir(parents=True)
    pois = ["poiID,poiCat,poiLon,poiLat"]
    for p in range(1, 10):
        pois.append(f"{p},Cat{p % 3},{-5.93 + 0.01 * (p % 3)},{54.60 + 0.01 * (p // 3)}")
    (folder / f"poi-{code}.csv").write_text("\n".join(pois) + "\n")
    rows = ["userID,trajID,poiID,startTime,endTime,#photo,trajLen,poiDuration"]
    tid = 0

    def add(seq, times=None):
        nonlocal tid
        tid += 1
        times = times or [100 * k for k in range(len(seq))]
        for p, t in sorted(zip(seq, times)):  # file order by POI id, as in the real files
            rows.append(f"u{tid % 4},{tid},{p},{t},{t + 10},1,{len(seq)},10")

    for _ in range(6):
        add([1, 4, 2])
        add([5, 6, 7])
        add([1])
    add([3, 2, 1], times=[0, 50, 50])      # tie in startTime: order by POI id -> 3, 1, 2
    add([8, 4, 9])                          # start 8 and end 9 never seen elsewhere: skipped
    skipped = tid
    add([3])
    (folder / f"traj-{code}.csv").write_text("\n".join(rows) + "\n")
    return skipped


def test_load_orders_by_start_time_then_poi_id(tmp_path):
    _write_city(tmp_path / "city" / "cikm16")
    city = flickr_traj.load_city(tmp_path / "city")
    assert city.code == "Tcty" and city.poi_ids.tolist() == list(range(1, 10))
    tie = city.trajectories[city.traj_ids.index(19)]
    assert [int(city.poi_ids[p]) for p in tie] == [3, 1, 2]


def test_leave_one_out_skips_unseen_start_or_end(tmp_path):
    skipped = _write_city(tmp_path / "c")
    city = flickr_traj.load_city(tmp_path / "c")
    results = flickr_traj.leave_one_out(city, flickr_traj.TrajectoryRecommender)
    assert skipped not in results                  # 8 -> 9 never seen in training
    assert len(results) == 6 + 6 + 1
    truth, pred = results[1]                 # 1 -> 4 -> 2, seen five more times
    assert pred == truth == [1, 4, 2]


def test_published_predictions_are_rescored(tmp_path):
    folder = tmp_path / "c"
    _write_city(folder)
    preds = {"1": {"truth": [1, 4, 2], "pred": {m: [1, 4, 2] for m in flickr_traj.METHODS}},
             "2": {"truth": [5, 6, 7], "pred": {m: [5, 8, 7] for m in flickr_traj.METHODS}},
             "4": {"truth": [1, 4, 2], "pred": {m: [1, 3, 2] for m in flickr_traj.METHODS
                                                if m != "PersTour"}}}
    preds["2"]["truth_used_by"] = {"Random": [5, 8, 7]}
    (folder / "published-predictions-Tcty.json").write_text(
        json.dumps({"description": "test", "trajectories": preds}))
    city = flickr_traj.load_city(folder)
    assert flickr_traj.averaged_ids(city) == [1, 2]  # 4 has no PersTour entry
    scores = flickr_traj.rescore_published(city)
    assert scores["PoiRank"]["f1"] == pytest.approx((1 + 2 / 3) / 2)
    assert scores["PoiRank"]["pairs_f1"] == pytest.approx((1 + 1 / 3) / 2)
    assert scores["Random"]["f1"] == pytest.approx(1.0)  # scored against its own truth

    args = argparse.Namespace(flickr=folder, json=True)
    report = flickr_traj.evaluate_city(args.flickr)
    ours = report["ours"]["ours: rank+order"]
    assert ours["published_set"]["n"] == 2 and ours["all_evaluated"]["n"] == 13
    assert report["n_skipped"] == 1


def test_cli_text_and_errors(tmp_path, capsys):
    _write_city(tmp_path / "c")
    assert flickr_traj.run(argparse.Namespace(flickr=tmp_path / "c", json=False)) == 0
    out = capsys.readouterr().out
    assert "ours: rank+order" in out and "13 evaluated, 1 skipped" in out
    assert flickr_traj.run(argparse.Namespace(flickr=tmp_path / "nowhere", json=True)) == 2
    assert "error" in capsys.readouterr().err
