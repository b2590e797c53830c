"""OPTW benchmark harness on tiny hand-written instance files (never the shared folder)."""

import argparse
import itertools
import json

import numpy as np
import pytest

from causeway.recommender.evaluation import optw_bench
from causeway.recommender.evaluation.optw_instances import (
    check_tours, distance_matrix, parse_instance, read_bks, to_problem)
from causeway.recommender.planner.search import SearchParams, solve

# depot at (0, 0), Tmax 100; customer lines: i x y d S f a <list> O C
SOLOMON = """4 10 6 1
0 200
  0 0.00 0.00 0.00 0.00 0 0 0 100
  1 3.00 4.00 5.00 10.00 1 1 1 0 50
  2 6.00 8.00 5.00 20.00 1 1 1 10 40
  3 -5.00 0.00 5.00 15.00 1 1 1 0 30
  4 0.00 -7.00 5.00 25.00 1 1 1 60 80
  5 1.26 0.00 5.00 5.00 1 1 1 0 100
  6 30.00 30.00 5.00 50.00 1 1 1 0 100
"""

# c204's quirk: the header is broken over two lines
BROKEN_HEADER = "2 \n4 6 1 0 700\n" + SOLOMON.split("\n", 1)[1]

# Cordeau layout (a list before O C), CRLF line ends, 2-decimal rounding
CORDEAU = ("5 3 3 4\r\n500 200\r\n"
           " 0 0.000 0.000 0 0 0 0 0 100\r\n"
           " 1 1.261 0.000 2 12 4 3 1 2 4 0 50\r\n"
           " 2 0.000 2.000 2 10 4 1 8 5 60\r\n"
           " 3 40.000 40.000 2 9 4 1 8 0 100\r\n")


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text.encode("ascii"))
    return p


def test_parse_lf_crlf_and_broken_header(tmp_path):
    a = parse_instance(write(tmp_path, "c101.txt", SOLOMON))
    b = parse_instance(write(tmp_path, "c204.txt", BROKEN_HEADER))
    assert a.n_customers == b.n_customers == 6
    assert np.array_equal(a.close, b.close) and a.tmax == 100
    assert a.open[4] == 60 and a.close[4] == 80 and a.score[6] == 50
    c = parse_instance(write(tmp_path, "pr01.txt", CORDEAU))
    assert c.decimals == 2 and c.n_customers == 3
    assert list(c.open) == [0, 0, 5, 0] and list(c.close) == [100, 50, 60, 100]  # last two
    assert list(c.service) == [0, 2, 2, 2] and list(c.score) == [0, 12, 10, 9]


def test_distances_are_floored_per_set(tmp_path):
    a = parse_instance(write(tmp_path, "r101.txt", SOLOMON))
    d = distance_matrix(a)
    assert d[0, 1] == 5.0 and d[0, 5] == 1.2  # 1.26 floored to one decimal
    c = parse_instance(write(tmp_path, "pr02.txt", CORDEAU))
    assert distance_matrix(c)[0, 1] == 1.26  # 1.261 floored to two decimals


def test_checker_catches_broken_routes(tmp_path):
    inst = parse_instance(write(tmp_path, "c101.txt", SOLOMON))
    score, errors = check_tours(inst, [[1, 2]], 1)
    assert score == 30 and errors == []
    _, errors = check_tours(inst, [[4, 2]], 1)  # 2 closes at 40, after 4 at >= 60
    assert any("vertex 2 starts" in e for e in errors)
    _, errors = check_tours(inst, [[1], [1]], 2)
    assert any("twice" in e for e in errors)
    _, errors = check_tours(inst, [[6]], 1)  # 42.4 each way + 5 = 89.8 fits in 100
    assert errors == []
    _, errors = check_tours(inst, [[6, 4]], 1)
    assert errors


def brute_force(inst, m=1):
    best = 0.0
    customers = range(1, inst.n_customers + 1)
    for k in range(1, inst.n_customers + 1):
        for order in itertools.permutations(customers, k):
            score, errors = check_tours(inst, [list(order)], m)
            if not errors:
                best = max(best, score)
    return best


def test_solver_finds_the_brute_force_optimum(tmp_path):
    inst = parse_instance(write(tmp_path, "c101.txt", SOLOMON))
    sol, _ = solve(to_problem(inst, 1), SearchParams(time_limit=30, max_iterations=50))
    score, errors = check_tours(inst, [r.nodes for r in sol.routes], 1)
    assert errors == [] and score == brute_force(inst) == sol.score


def run_cli(tmp_path, capsys, *extra):
    root = tmp_path / "optw"
    (root / "solomon100_c1_r1_rc1").mkdir(parents=True, exist_ok=True)
    (root / "cordeau_pr01_10").mkdir(exist_ok=True)
    write(root / "solomon100_c1_r1_rc1", "c101.txt", SOLOMON)
    write(root / "solomon100_c1_r1_rc1", "c204.txt", BROKEN_HEADER)
    write(root / "cordeau_pr01_10", "pr01.txt", CORDEAU)
    (root / "bks.csv").write_text(
        "instance,m,bks,source,kind,set\n"
        "c101,1,100,test,optimal,solomon100_c1_r1_rc1\n"
        "c101,2,200,test,lower_bound_unattributed,solomon100_c1_r1_rc1\n"
        "pr01,1,22,test,optimal_under_ceil2,cordeau_pr01_10\n")
    parser = argparse.ArgumentParser()
    optw_bench.add_arguments(parser)
    args = parser.parse_args([str(root), "--time-limit", "5", "--iterations", "20", *extra])
    code = optw_bench.run(args)
    return code, capsys.readouterr().out


def test_cli_table_json_and_routes(tmp_path, capsys):
    code, out = run_cli(tmp_path, capsys, "--sets", "all", "--days", "1", "2")
    assert code == 0
    assert "c101" in out and "pr01" in out and "optimal_under_ceil2" in out
    routes = tmp_path / "routes.csv"
    code, out = run_cli(tmp_path, capsys, "--json", "--routes-out", str(routes))
    data = json.loads(out)
    rows = {(r["instance"], r["m"]): r for r in data["rows"]}
    assert set(rows) == {("c101", 1), ("c204", 1)}  # default set only, m = 1
    c101 = rows[("c101", 1)]
    assert c101["feasible"] and c101["ref"] == 100
    assert c101["gap_pct"] == pytest.approx(100 * (100 - c101["score"]) / 100)
    assert rows[("c204", 1)]["gap_pct"] is None  # no reference row
    summary = data["summary"][0]
    assert summary["n_optimal_ref"] == 1
    assert summary["mean_gap_optimal_pct"] == pytest.approx(c101["gap_pct"])
    lines = routes.read_text().splitlines()
    assert lines[0] == "instance,m,solver,tour,vertices"
    assert all(line.split(",")[4].startswith("0 ") or line.split(",")[4] == "0 0"
               for line in lines[1:])


def test_cli_reports_missing_set(tmp_path, capsys):
    code, _ = run_cli(tmp_path, capsys, "--sets", "nope")
    assert code == 2


def test_read_bks(tmp_path):
    p = tmp_path / "bks.csv"
    p.write_text("instance,m,bks,source,kind,set\nc101,1,320,R&S,optimal,s\n")
    ref = read_bks(p)[("c101", 1)]
    assert ref.value == 320 and ref.kind == "optimal"


def test_ortools_peer_is_feasible(tmp_path):
    pytest.importorskip("ortools")
    from causeway.recommender.evaluation.optw_ortools import solve_ortools
    inst = parse_instance(write(tmp_path, "c101.txt", SOLOMON))
    tours, _ = solve_ortools(inst, 1, 0.3)
    score, errors = check_tours(inst, tours, 1)
    assert errors == [] and 0 < score <= brute_force(inst)
