"""The `detente` command: what-ifs, reproduction, errors without stack traces."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from detente.cli import main


def test_whatif_json(world_file, capsys, tmp_path):
    out = tmp_path / "res" / "r.json"
    rc = main(
        [
            "whatif",
            "--world",
            str(world_file),
            "--tariff",
            "C00<-C01:goods:+50",
            "--tariff",
            "C01<-C00:goods:=40",
            "--countries",
            "C00,C01,C02",
            "--pair",
            "C00,C01",
            "--json",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    rec = json.loads(capsys.readouterr().out)
    assert json.loads(out.read_text()) == {
        **rec,
        "meta": {**rec["meta"], "computed_at": json.loads(out.read_text())["meta"]["computed_at"]},
    }
    assert rec["meta"]["world"] == "tiny" and rec["meta"]["units"] == "USD million"
    assert rec["meta"]["solver"]["converged"]
    assert [r["country"] for r in rec["countries"]] == ["C00", "C01", "C02"]
    c01 = rec["countries"][1]
    assert c01["welfare_pct"] < 0  # the target of the tariff loses
    b = rec["bilateral"][0]
    assert (b["importer"], b["exporter"]) == ("C00", "C01")
    goods = [r for r in b["rows"] if r["sector"] != "S02"]
    assert all(r["tariff_new_pct"] == pytest.approx(r["tariff_base_pct"] + 50) for r in goods)
    services = [r for r in b["rows"] if r["sector"] == "S02"][0]
    assert services["tariff_new_pct"] == services["tariff_base_pct"]  # services untouched by "goods"
    rev = rec["bilateral"][1]
    assert all(r["tariff_new_pct"] == pytest.approx(40) for r in rev["rows"] if r["sector"] != "S02")


def test_whatif_table_output(world_file, capsys):
    assert main(["whatif", "--world", str(world_file), "--tariff", "C00<-C01:all:+20", "--pair", "C00,C01"]) == 0
    out = capsys.readouterr().out
    assert "Effects by country" in out and "C01 → C00" in out and "synthetic test world" in out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--tariff", "USA<-C01:all:+10"], "unknown country 'USA'"),
        (["--tariff", "C00<-C01:all:10"], "expected IMPORTER<-EXPORTER:SECTORS"),
        (["--tariff", "C00<-C01:cars:+10"], "unknown sector 'cars'"),
        (["--tariff", "C00<-C01:all:-90"], "negative"),
        (["--iceberg", "C00<-C01:all:x0"], "iceberg factor must be a positive number"),
        ([], "nothing to do"),
        (["--preset", "nope"], "unknown preset 'nope'"),
    ],
)
def test_whatif_user_errors_exit_2_with_message(world_file, capsys, argv, message):
    rc = main(["whatif", "--world", str(world_file), *argv])
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err and "Traceback" not in err


def test_unknown_world_and_bad_file(tmp_path, capsys):
    assert main(["whatif", "--world", "atlantis", "--tariff", "A<-B:all:+1"]) == 2
    assert "unknown world 'atlantis'" in capsys.readouterr().err
    bad = tmp_path / "bad.nc"
    bad.write_bytes(b"\x00\x01not netcdf")
    assert main(["whatif", "--world", str(bad), "--tariff", "A<-B:all:+1"]) == 2
    assert "is not a detente world file" in capsys.readouterr().err


def test_worlds_lists_names(capsys):
    assert main(["worlds"]) == 0
    out = capsys.readouterr().out
    assert "default" in out and "oecd-icio-2022" in out and "cp2015" in out


def test_reproduce_cp2015_json(cp2015_dir, capsys, tmp_path):
    out = tmp_path / "cp.json"
    assert main(["reproduce", "cp2015", "--data", str(cp2015_dir), "--json", "--out", str(out)]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["command"] == "detente reproduce cp2015"
    assert all(r["within_tolerance"] for r in rec["rows"])
    rows = {r["country"]: r for r in rec["extra"]["table"]}
    assert len(rows) == 31
    assert rows["Mexico"]["welfare"] == pytest.approx(1.31, abs=0.01)
    assert rows["Canada"]["welfare"] == pytest.approx(-0.06, abs=0.01)
    assert rows["USA"]["welfare"] == pytest.approx(0.08, abs=0.01)
    assert set(rows["USA"]) >= {"terms_of_trade", "volume_of_trade", "real_wage", "real_income_exact"}
    assert json.loads(out.read_text())["extra"] == rec["extra"]


def test_console_script_reports_errors_without_traceback():
    r = subprocess.run(
        [sys.executable, "-m", "detente.cli", "whatif", "--world", "atlantis", "--tariff", "A<-B:all:+1"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "detente: error: unknown world" in r.stderr and "Traceback" not in r.stderr


def test_validate_schema_and_replay_commands(capsys, tmp_path):
    assert main(["validate", "us-china-2025"]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "properties" in schema and "events" in schema["properties"]
    out = tmp_path / "replay.nc"
    assert main(["replay", "us-china-2025", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "equilibrium solves" in printed and out.is_file()
    import xarray as xr

    with xr.open_dataset(out, engine="scipy") as ds:
        assert "date" in ds.dims


def test_validate_reports_bad_scenario_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nperiod: {start: 2025-01-01, end: 2025-02-01, step: week}\n"
        "events:\n  - date: 2025-01-10\n    tariff: {importer: USA, exporter: CHN, sectors: goods,"
        " layer: ieepa, op: set, rate_pp: -5}\n"
    )
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "rate_pp" in err and "-5" in err and "line 5" in err and "Traceback" not in err


def test_reproduce_offers_every_study():
    from detente.cli import build_parser
    from detente.validation import list_studies

    p = build_parser()
    sub = next(a for a in p._actions if a.dest == "command")
    study = next(a for a in sub.choices["reproduce"]._actions if a.dest == "study")
    assert set(study.choices) == {"list", *list_studies()}


def test_version_is_written_once():
    """pyproject reads the version from detente._version; CITATION.cff must agree with it."""
    import importlib.metadata
    import re
    from pathlib import Path

    from detente import __version__

    root = Path(__file__).resolve().parents[1]
    assert importlib.metadata.version("detente") == __version__
    assert 'dynamic = ["version"]' in (root / "pyproject.toml").read_text()
    cff = re.search(r"^version:\s*(\S+)", (root / "CITATION.cff").read_text(), re.M)
    assert cff and cff.group(1) == __version__


def test_parser_builds_without_numpy_or_pydantic():
    """Start-up: building the whole parser (every subcommand) imports neither numpy nor
    pydantic (`detente --help` in about 0.3 s; benchmarks are not unit tests, imports are)."""
    import subprocess
    import sys

    code = (
        "import sys, detente.cli as c; c.build_parser(); "
        "print(','.join(m for m in ('numpy', 'pydantic', 'xarray', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"the parser imported {out.stdout.strip()}"
