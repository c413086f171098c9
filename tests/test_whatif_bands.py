"""whatif --bands: welfare bands from draws of the trade elasticities."""

from __future__ import annotations

import json

from detente.cli import main


def _bands(capsys, *extra):
    assert (
        main(
            [
                "whatif",
                "--preset",
                "geneva-2025",
                "--countries",
                "USA,CHN",
                "--bands",
                "20",
                "--json",
                "--no-save",
                *extra,
            ]
        )
        == 0
    )
    return json.loads(capsys.readouterr().out)


def test_same_seed_same_bands_and_the_point_estimate_inside(capsys):
    a, b = _bands(capsys), _bands(capsys)
    assert a["bands"] == b["bands"]
    c = _bands(capsys, "--seed", "7")
    assert c["bands"]["rows"] != a["bands"]["rows"]
    point = {r["country"]: r["welfare_pct"] for r in a["countries"]}
    for r in a["bands"]["rows"]:
        assert r["lower"] <= r["median"] <= r["upper"]
        assert r["lower"] - 0.05 <= point[r["country"]] <= r["upper"] + 0.05
    assert a["bands"]["n_draws"] == 20 and a["bands"]["n_failed"] == 0


def test_bad_number_of_draws_is_refused(capsys):
    assert main(["whatif", "--preset", "geneva-2025", "--bands", "1", "--no-save"]) == 2
    assert "--bands 1" in capsys.readouterr().err
