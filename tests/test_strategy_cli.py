"""The nash / bargain / leverage / truce commands, on a parser built here."""

from __future__ import annotations

import argparse
import json

import pytest

from detente.strategy._cli import register
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
    code, out = run(["nash", "--world", world_file, "--players", "C00,C01", "--sectors", "all",
                     "--chart", str(chart)], capsys)
    assert code == 0 and "Nash tariffs by sector" in out and "converged" in out and chart.stat().st_size > 0
    code, out = run(["nash", "--world", world_file, "--players", "C00,C01", "--sectors", "all", "--json"], capsys)
    rec = json.loads(out)
    assert rec["converged"] and set(rec["tariffs_pct"]) == {"C00 on C01", "C01 on C00"}


def test_bargain_command(world_file, capsys, tmp_path):
    pytest.importorskip("jax")
    code, out = run(["bargain", "--world", world_file, "--players", "C00,C01", "--sectors", "all", "--uniform",
                     "--grid", "5", "--json"], capsys)
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
    code, out = run(["truce", "--world", world_file, "--players", "C00,C01", "--runs", "10", "--days", "60",
                     "--strategies", "tit-for-tat,grim-trigger", "--json", "--out", str(out_file)], capsys)
    rec = json.loads(out)
    assert code == 0 and rec["results"][0]["runs"] == 10 and json.loads(out_file.read_text()) == rec


def test_bad_players_are_a_user_error(world_file, capsys):
    from detente.errors import DetenteError

    with pytest.raises(DetenteError, match="two different countries"):
        run(["leverage", "--world", world_file, "--players", "C00"], capsys)
