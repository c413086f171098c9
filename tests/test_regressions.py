"""Regression tests: one per fixed bug (each failed before its fix).

1. `runs list` with a replay that has a variant and a run without one (NaN under pandas 3).
2. rich markup in user and data text (``[goods]``, ``[all]``, ``[services]``) was dropped.
3. A repeated country (CLI ``--countries``, API ``countries``) crashed; an empty one too.
4. A wrong output path ended in a traceback, for ``replay`` only after computing.
5. ``detente report latest`` when the latest run is a what-if.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pytest
import xarray as xr

from detente.cli import main
from detente.errors import DetenteError


@pytest.fixture
def store_path(tmp_path, monkeypatch):
    """A private results store for the commands under test."""
    path = tmp_path / "runs.duckdb"
    monkeypatch.setenv("DETENTE_STORE", str(path))
    return path


@pytest.fixture(scope="module")
def replay_run():
    from detente.policy import load_scenario, replay

    return replay(load_scenario("us-china-2025"), variant="no-geneva")


def _record(name: str, variant: str | None, kind: str = "replay"):
    from detente.store import RunRecord, code_version

    days = np.array(["2025-01-01", "2025-02-01"], dtype="datetime64[s]")
    ds = xr.Dataset(
        {"welfare_pct": (("country", "date"), np.zeros((2, 2)))}, coords={"country": ["USA", "CHN"], "date": days}
    )
    return RunRecord(
        kind=kind,
        name=name,
        variant=variant,
        world="w",
        vintage="test vintage",
        code_version=code_version(),
        settings={},
        scenario_text=None,
        seed=None,
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        dataset=ds,
        summary={"n": 1},
    )


def _fail(*_a, **_k):
    raise AssertionError("computed before checking the output path")


def _one_error_line(err: str, *needles: str) -> None:
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("detente: error: "), err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, err)


# ---------------------------------------------------------------------------- 1
def test_runs_list_with_a_variant_and_a_run_without_one(store_path, capsys):
    from detente.store import RunStore

    store = RunStore(store_path)
    a = store.save(_record("with-variant", "no-geneva"))
    b = store.save(_record("without", None, kind="whatif"))
    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    assert a in out and b in out and "no-geneva" in out and "nan" not in out.lower()


# ---------------------------------------------------------------------------- 2
def test_bracketed_text_is_printed_not_read_as_markup(world_file, store_path, capsys, replay_run):
    from rich.console import Console

    from detente.equilibrium import Counterfactual, solve
    from detente.report.terminal import print_whatif
    from detente.report.terminal_replay import print_runs_summary
    from detente.report.whatif import whatif_record
    from detente.store import RunStore
    from detente.world import load_world

    # the what-if's change lines: a services tariff is not a goods tariff
    assert (
        main(
            [
                "whatif",
                "--world",
                str(world_file),
                "--tariff",
                "C00<-C01:services:+10",
                "--tariff",
                "C00<-C01:goods:+5",
                "--pair",
                "C00,C01",
                "--no-save",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "tariff C00<-C01 [services] +10 pp" in out and "tariff C00<-C01 [goods] +5 pp" in out
    # a title with brackets
    w = load_world(str(world_file))
    eq = solve(w, Counterfactual.from_world(w).tariff("C00", "C01", "all", 1).with_label("war on [all] [bold]"))
    con = Console(record=True, width=140)
    print_whatif(con, eq, whatif_record(eq, countries=["C00", "C01"], pair=("C00", "C01")))
    text = con.export_text()
    assert "war on [all] [bold]" in text and "[all] +1 pp" in text
    # replay summaries: scenario names and run labels
    ds = replay_run.dataset.assign_attrs(scenario="trade war [goods]")
    con = Console(record=True, width=160)
    print_runs_summary(con, {"[services] only": ds, "[all]": ds})
    text = con.export_text()
    assert "trade war [goods]" in text and "[services] only" in text and "[all]" in text
    # stored runs: list and show
    rid = RunStore(store_path).save(_record("t [goods]", "[all]"))
    capsys.readouterr()
    assert main(["runs", "list"]) == 0
    out = capsys.readouterr().out
    assert "t [goods]" in out and "[all]" in out
    assert main(["runs", "show", rid]) == 0
    out = capsys.readouterr().out
    assert "t [goods]" in out and "[all]" in out


# ---------------------------------------------------------------------------- 3
@pytest.mark.parametrize("countries, needle", [("C00,C01,C00", "C00"), (",", "no country"), (" , ", "no country")])
def test_cli_repeated_or_empty_countries_are_refused(world_file, capsys, monkeypatch, countries, needle):
    monkeypatch.setattr("detente.equilibrium.solve", _fail)
    rc = main(
        ["whatif", "--world", str(world_file), "--tariff", "C00<-C01:all:+10", "--countries", countries, "--no-save"]
    )
    assert rc == 2
    _one_error_line(capsys.readouterr().err, "--countries", needle)


def test_api_repeated_countries_are_a_422_naming_the_field(tmp_path):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from detente.web import WebSettings, create_app

    app = create_app(WebSettings(store_path=str(tmp_path / "s.duckdb"), warm=False))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/whatif", json={"countries": ["USA", "CHN", "USA"]})
        assert r.status_code == 422, r.text
        problems = r.json()["error"]["problems"]
        assert any(p.startswith("countries") and "USA" in p and "more than once" in p for p in problems), problems
        r = c.post("/api/whatif", json={"countries": []})
        assert r.status_code == 422 and "countries" in r.text


# ---------------------------------------------------------------------------- 4
def test_check_output_path(tmp_path):
    from detente._files import check_output_path

    assert check_output_path(tmp_path / "new" / "deeper" / "r.json") == tmp_path / "new" / "deeper" / "r.json"
    (tmp_path / "f.txt").write_text("x")
    assert check_output_path(tmp_path / "f.txt") == tmp_path / "f.txt"  # overwriting a file is fine
    with pytest.raises(DetenteError, match=r"--out .* is a folder"):
        check_output_path(tmp_path)
    with pytest.raises(DetenteError, match=r"f\.txt.* is not a folder"):
        check_output_path(tmp_path / "f.txt" / "sub" / "r.json")
    with pytest.raises(DetenteError, match=r"--dir .*f\.txt.* existing file"):
        check_output_path(tmp_path / "f.txt", "--dir", folder=True)
    assert check_output_path(tmp_path, folder=True) == tmp_path
    if os.geteuid() != 0:  # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(DetenteError, match="no permission"):
                check_output_path(ro / "r.json")
        finally:
            ro.chmod(0o700)


def test_wrong_output_paths_are_refused_before_computing(world_file, tmp_path, store_path, capsys, monkeypatch):
    (tmp_path / "file").write_text("x")
    folder, under_file = str(tmp_path), str(tmp_path / "file" / "out.json")
    monkeypatch.setattr("detente.equilibrium.solve", _fail)
    monkeypatch.setattr("detente.policy._commands.replay_file", _fail)
    monkeypatch.setattr("detente.validation.reproduce", _fail)
    monkeypatch.setattr("detente.cli.report.resolve_run", _fail)
    cases = [
        (["whatif", "--world", str(world_file), "--tariff", "C00<-C01:all:+10", "--out", folder], folder),
        (["whatif", "--world", str(world_file), "--tariff", "C00<-C01:all:+10", "--out", under_file], under_file),
        (["replay", "us-china-2025", "--quiet", "--no-save", "--out", folder], folder),
        (["replay", "us-china-2025", "--quiet", "--no-save", "--out", under_file], under_file),
        (["reproduce", "acr", "--out", folder], folder),
        (["report", "scenario:us-china-2025", "--out", str(tmp_path / "file")], str(tmp_path / "file")),
    ]
    for argv, path in cases:
        assert main(argv) == 2, argv
        _one_error_line(capsys.readouterr().err, "--out", repr(path))


def test_runs_export_onto_an_existing_file_is_refused(store_path, tmp_path, capsys):
    from detente.store import RunStore

    rid = RunStore(store_path).save(_record("r", None))
    target = tmp_path / "taken"
    target.write_text("keep me")
    assert main(["runs", "export", rid, "--out", str(target)]) == 2
    _one_error_line(capsys.readouterr().err, "--out", repr(str(target)), "existing file")
    assert target.read_text() == "keep me"
    assert main(["runs", "compare", rid, rid, "--out", str(tmp_path)]) == 2
    _one_error_line(capsys.readouterr().err, "--out", "is a folder")
    assert main(["runs", "export", rid, "--out", str(tmp_path / "exp")]) == 0
    assert (tmp_path / "exp" / "meta.json").is_file()


# ---------------------------------------------------------------------------- 5
def test_report_latest_when_the_latest_run_is_a_whatif(store_path, tmp_path, capsys, replay_run):
    pytest.importorskip("plotly")
    from detente.store import RunStore, record_from_replay

    store = RunStore(store_path)
    w = store.save(_record("custom what-if", None, kind="whatif"))
    assert main(["report", "latest", "--out", str(tmp_path / "rep"), "--no-png", "--quiet"]) == 2
    _one_error_line(capsys.readouterr().err, w, "what-if", "no replay")
    assert main(["report", w, "--out", str(tmp_path / "rep"), "--no-png", "--quiet"]) == 2
    _one_error_line(capsys.readouterr().err, w, "what-if", "not a replay")
    r = store.save(record_from_replay(replay_run))
    w2 = store.save(_record("another what-if", None, kind="whatif"))
    assert store.resolve("latest") == w2
    assert main(["report", "latest", "--out", str(tmp_path / "rep"), "--no-png", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "report written to" in captured.out and (tmp_path / "rep" / "index.html").is_file()
    assert w2 in captured.err and r in captured.err and "warning" in captured.err


def test_a_tariff_on_a_countrys_own_goods_is_refused(capsys):
    """Issue 14: `whatif --tariff 'USA<-USA:...'` did nothing and said nothing."""
    from detente.cli import main

    assert main(["whatif", "--tariff", "USA<-USA:all:+10", "--no-save"]) == 2
    assert "own goods does nothing" in capsys.readouterr().err


def test_whatif_gives_real_income_in_money_next_to_percent(capsys):
    """Issue 15: results were only in percent. The what-if now states the real-income
    change in the world's money (equivalent variation at baseline income) and its unit."""
    import json

    import numpy as np

    from detente.cli import main
    from detente.equilibrium import Counterfactual, solve
    from detente.world import load_world

    w = load_world("default")
    eq = solve(w, Counterfactual.from_world(w).tariff("USA", "CHN", "goods", 50))
    t = eq.country_table()
    np.testing.assert_allclose(t.welfare_value, (eq.welfare_hat - 1) * np.asarray(w.income))
    assert main(["whatif", "--tariff", "USA<-CHN:goods:+50", "--json", "--no-save", "--countries", "USA,CHN"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert "USD million a year" in rec["columns"]["welfare_value"]
    usa = next(r for r in rec["countries"] if r["country"] == "USA")
    np.testing.assert_allclose(usa["welfare_value"], t.welfare_value["USA"], rtol=1e-9)
    assert main(["whatif", "--tariff", "USA<-CHN:goods:+50", "--no-save", "--countries", "USA,CHN"]) == 0
    assert "USD bn/yr" in capsys.readouterr().out
