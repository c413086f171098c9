"""The nash / bargain / leverage / truce commands, on a parser built here."""

from __future__ import annotations

import argparse
import json

import pytest

from detente.cli.strategy import register
from detente.world import random_world, save_world


def run(argv, capsys):
    p = argparse.ArgumentParser(prog="detente")
    register(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    code = args.func(args)
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def world_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("w") / "small.nc"
    save_world(random_world(3, 2, seed=5), path)
    return str(path)


def test_nash_command(world_file, capsys, tmp_path):
    pytest.importorskip("jax")
    chart = tmp_path / "nash.png"
    code, out = run(
        ["nash", "--world", world_file, "--players", "C00,C01", "--sectors", "all", "--chart", str(chart)], capsys
    )
    assert code == 0 and "Nash tariffs by sector" in out and "converged" in out and chart.stat().st_size > 0
    code, out = run(["nash", "--world", world_file, "--players", "C00,C01", "--sectors", "all", "--json"], capsys)
    rec = json.loads(out)
    assert rec["converged"] and set(rec["tariffs_pct"]) == {"C00 on C01", "C01 on C00"}


def test_bargain_command(world_file, capsys, tmp_path):
    pytest.importorskip("jax")
    code, out = run(
        [
            "bargain",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--sectors",
            "all",
            "--uniform",
            "--grid",
            "5",
            "--json",
        ],
        capsys,
    )
    rec = json.loads(out)
    assert code == 0 and min(rec["gains"]) >= -1e-9 and 0 < rec["mutually_preferred_share"] < 1


def test_leverage_command(world_file, capsys, tmp_path):
    chart = tmp_path / "lev.png"
    code, out = run(["leverage", "--world", world_file, "--players", "C00,C01", "--chart", str(chart)], capsys)
    assert code == 0 and "leverage" in out and "threat points" in out and chart.exists()


def test_truce_command(world_file, capsys, tmp_path):
    code, out = run(["truce", "--list"], capsys)
    assert "grim-trigger" in out
    out_file = tmp_path / "truce.json"
    code, out = run(
        [
            "truce",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--runs",
            "10",
            "--days",
            "60",
            "--strategies",
            "tit-for-tat,grim-trigger",
            "--json",
            "--out",
            str(out_file),
        ],
        capsys,
    )
    rec = json.loads(out)
    assert code == 0 and rec["results"][0]["runs"] == 10 and json.loads(out_file.read_text()) == rec


def test_bad_players_are_a_user_error(world_file, capsys):
    from detente.errors import DetenteError

    with pytest.raises(DetenteError, match="two different countries"):
        run(["leverage", "--world", world_file, "--players", "C00"], capsys)


def test_nash_command_three_players(world_file, capsys):
    pytest.importorskip("jax")
    code, out = run(
        ["nash", "--world", world_file, "--players", "C00,C01,C02", "--sectors", "all", "--uniform", "--json"], capsys
    )
    rec = json.loads(out)
    assert code == 0 and rec["converged"] and rec["players"] == ["C00", "C01", "C02"]
    assert set(rec["tariffs_pct"]) == {"C00 on C01+C02", "C01 on C00+C02", "C02 on C00+C01"}
    code, out = run(
        [
            "nash",
            "--world",
            world_file,
            "--players",
            "C00,C01,C02",
            "--sectors",
            "all",
            "--uniform",
            "--discriminate",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0 and "C00 on C02" in out and "one rate per partner" in out


def test_progress_goes_to_stderr(world_file, capsys):
    p = argparse.ArgumentParser(prog="detente")
    register(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(
        [
            "truce",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--runs",
            "100",
            "--days",
            "30",
            "--strategies",
            "tit-for-tat,tit-for-tat",
            "--json",
        ]
    )
    assert args.func(args) == 0
    io = capsys.readouterr()
    json.loads(io.out)  # stdout stays clean JSON
    assert "truce Monte Carlo" in io.err and "100/100" in io.err


def test_truce_table_has_bands(world_file, capsys):
    code, out = run(
        [
            "truce",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--runs",
            "20",
            "--days",
            "120",
            "--strategies",
            "tit-for-tat,tit-for-tat",
            "--no-progress",
        ],
        capsys,
    )
    assert code == 0 and "95%" in out and "grim trigger needs" in out
    code, out = run(
        [
            "truce",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--runs",
            "20",
            "--days",
            "120",
            "--strategies",
            "tit-for-tat,tit-for-tat",
            "--json",
        ],
        capsys,
    )
    r = json.loads(out)["results"][0]
    assert r["holds_90d_lo"] <= r["holds_90d"] <= r["holds_90d_hi"]
    assert "deterrence" in json.loads(out)


def test_deterrence_command(world_file, capsys):
    code, out = run(["deterrence", "--world", world_file, "--players", "C00,C01", "--json"], capsys)
    rec = json.loads(out)
    assert code == 0 and [d["player"] for d in rec["deterrence"]] == ["C00", "C01"]
    assert all("delta_star" in d for d in rec["deterrence"])
    code, out = run(["deterrence", "--world", world_file, "--players", "C00,C01"], capsys)
    assert "delta*" in out


def test_attrition_command(world_file, capsys, tmp_path):
    chart = tmp_path / "att.png"
    code, out = run(
        [
            "attrition",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--standoff-pp",
            "100,100",
            "--truce-pp",
            "0,0",
            "--threshold",
            "C00=0.5,C01=2",
            "--weeks",
            "30",
            "--chart",
            str(chart),
        ],
        capsys,
    )
    assert code == 0 and "first to seek talks" in out and chart.stat().st_size > 0
    code, out = run(
        [
            "attrition",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--standoff-pp",
            "100,100",
            "--truce-pp",
            "0,0",
            "--threshold",
            "0.5",
            "--weeks",
            "30",
            "--json",
        ],
        capsys,
    )
    rec = json.loads(out)
    assert rec["players"] == ["C00", "C01"] and len(rec["weekly"]) == 30 and rec["first"] in ("C00", "C01", None)


def test_package_command(world_file, capsys, tmp_path):
    chart = tmp_path / "package.png"
    code, out = run(
        [
            "package",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--tariff-max",
            "60,60",
            "--tariff-points",
            "3",
            "--pass-points",
            "2",
            "--no-progress",
            "--chart",
            str(chart),
        ],
        capsys,
    )
    assert code == 0 and "Nash bargaining package" in out and "mutually preferred set" in out
    assert "% of baseline income" in out and "trade elasticities" in out and chart.stat().st_size > 0
    code, out = run(
        [
            "package",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--tariff-max",
            "60,60",
            "--tariff-points",
            "3",
            "--pass-points",
            "2",
            "--json",
            "--no-save",
        ],
        capsys,
    )
    rec = json.loads(out)
    assert rec["players"] == ["C00", "C01"] and rec["preferred_count"] > 0
    assert all(g >= 0 for g in rec["bargain_gains_pp"]) and rec["elasticities"]


def test_package_bad_threat_names_the_option(world_file, capsys):
    from detente.errors import DetenteError

    with pytest.raises(DetenteError, match="--threat must be four numbers '145,125,0,0', got '1,2'"):
        run(["package", "--world", world_file, "--players", "C00,C01", "--threat", "1,2", "--no-save"], capsys)
    with pytest.raises(DetenteError, match="pass_a must be a share in \\[0, 1\\], got 2"):
        run(["package", "--world", world_file, "--players", "C00,C01", "--threat", "10,10,2,0", "--no-save"], capsys)


def test_strategy_runs_are_saved_in_the_store(world_file, capsys):
    from detente.store import RunStore

    code, out = run(["leverage", "--world", world_file, "--players", "C00,C01"], capsys)
    assert code == 0 and "saved as run" in out
    run_id = out.split("saved as run ")[1].split()[0]
    rec = RunStore().load(run_id)
    assert rec.kind == "strategy" and rec.summary["command"] == "leverage" and rec.world
    ds = rec.dataset
    assert "leverage.target_loss_pct" in ds and ds["leverage.target_loss_pct"].dims == ("leverage_row",)
    assert list(ds["leverage.imposer"].values[:1]) == ["C00"]
    result = json.loads(ds.attrs["result_json"])
    assert result["leverage"][0]["imposer"] == "C00"
    assert rec.settings["players"] == "C00,C01" and "horizon" in rec.settings
    code, out = run(
        [
            "package",
            "--world",
            world_file,
            "--players",
            "C00,C01",
            "--tariff-points",
            "2",
            "--pass-points",
            "2",
            "--no-progress",
            "--no-refine",
        ],
        capsys,
    )
    rid = out.split("saved as run ")[1].split()[0]
    pk = RunStore().load(rid)
    assert pk.summary["command"] == "package" and "packages.U_C00 %" in pk.dataset
    before = len(RunStore().list())
    run(["leverage", "--world", world_file, "--players", "C00,C01", "--no-save"], capsys)
    assert len(RunStore().list()) == before
