"""The `causeway` command: ingest exit codes and reports, tokens, demo, migrations."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect

from causeway.cli import main
from causeway.migrate import downgrade, upgrade
from causeway.settings import get_settings
from tests.conftest import DATA


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CAUSEWAY_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ingest_exit_codes_and_reports(cli_env: str, capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, "provider", "create", "visit-belfast", "--name", "Visit Belfast", "--size", "medium")[0] == 0
    good = tmp_path / "good.csv"
    good.write_text("id,name,lat,lon\n1,Ulster Museum,54.5822,-5.9352\n")
    code, out, _ = run(capsys, "ingest", str(good), "--provider", "visit-belfast")
    assert code == 0 and "created 1" in out

    code, out, _ = run(capsys, "ingest", str(DATA / "belfast-attractions.jsonld"), "--provider", "visit-belfast",
                       "--dry-run", "--json")
    report = json.loads(out)
    assert code == 1 and report["dry_run"] and report["counts"]["created"] == 4 and report["counts"]["archived"] == 1
    assert {(e["position"], e["field"]) for e in report["rejected"]} == {
        (5, "lat"), (6, "openingHours"), (7, "name"), (8, "@type")}
    code, out, _ = run(capsys, "ingest", str(DATA / "belfast-attractions.jsonld"), "--provider", "visit-belfast")
    assert code == 1
    assert "rejected row 5 [vb-005]: lat: 'not-a-number' is not a number" in out
    assert "created 4, updated 0, proposed 0, unchanged 0, archived 1, rejected 4" in out
    assert "new records are submitted: visit-belfast is not trusted" in out

    broken = tmp_path / "broken.json"
    broken.write_text("{oops")
    code, out, err = run(capsys, "ingest", str(broken), "--provider", "visit-belfast")
    assert code == 2 and "cannot be read" in err and "not valid JSON" in err
    code, _, err = run(capsys, "ingest", str(tmp_path / "missing.csv"), "--provider", "visit-belfast")
    assert code == 2 and "cannot read" in err
    code, _, err = run(capsys, "ingest", str(good), "--provider", "nobody")
    assert code == 2 and "no provider 'nobody'" in err


def test_demo_load_and_tokens(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    # --no-media: the catalogue only (the placeholder media are tested in tests/api/test_demo_media.py).
    code, out, _ = run(capsys, "demo", "load", "--no-media")
    assert code == 0
    assert "causeway-board: 124 rows, 124 created, 0 updated, 0 unchanged, 0 archived, 0 rejected" in out
    assert "causeway-coast-glens: 19 rows, 19 created" in out
    assert "dfc-historic-environment: 58 rows, 57 created" in out and "1 rejected" in out
    assert "dfc-scheduled-monuments: 40 rows, 40 created" in out
    assert "board decisions (causeway/demo/board-decisions.json): 32 merged, 2 dismissed, 0 already decided" in out
    assert "demo media" not in out
    code, out, _ = run(capsys, "token", "create", "--role", "venue", "--provider", "causeway-coast-glens")
    assert code == 0 and out.strip().startswith("cw_venue_")
    assert run(capsys, "token", "create", "--role", "venue")[0] == 1
    code, out, _ = run(capsys, "token", "create", "--role", "board")
    assert code == 0 and out.strip().startswith("cw_board_")


def test_migrations_go_down_and_up(engine: Engine) -> None:
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert {"attractions", "providers", "duplicate_candidates", "api_tokens"} <= set(inspect(engine).get_table_names())


def test_migrations_have_one_head(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from causeway.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string()))
    assert script.get_heads() == ["0010_i12"]
    downgrade(engine, "base")
    upgrade(engine, "head")  # a single head: "head" (not only "heads") upgrades fully
    assert {"media_assets", "itineraries", "events"} <= set(inspect(engine).get_table_names())
