"""The strategy section of the HTML report: leverage, Nash, bargaining and truce tables."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("plotly")

from detente.report.strategy import strategy_results, strategy_section, table_html
from detente.world import random_world


@pytest.fixture(scope="module")
def small():
    world = random_world(3, 2, seed=5)
    nash = True
    try:
        import jax  # noqa: F401
    except ImportError:
        nash = False
    steps = []
    res = strategy_results(world, ("C00", "C01"), nash=nash, runs=20, progress=steps.append)
    return world, res, steps, nash


def test_every_table_is_there_with_units(small):
    _, res, steps, nash = small
    tables = res["tables"]
    expected = {"leverage", "threat_points", "package", "deterrence", "truce"} | ({"nash"} if nash else set())
    assert set(tables) == expected
    assert steps[:2] == ["leverage", "Nash tariffs"] if nash else steps[0] == "leverage"
    for name, df in tables.items():
        assert df.attrs["title"] and df.attrs["units"], name
    assert "% of baseline income" in tables["leverage"].attrs["units"]
    assert [i.split()[0] for i in tables["leverage"].index] == ["C00", "C01"]
    pk = tables["package"]
    assert list(pk.index[:2]) == ["war", "Nash bargaining package"]
    assert float(pk.loc["war", "gain_C00 pp"]) == 0.0 and float(pk.loc["Nash bargaining package", "gain_C00 pp"]) > 0
    truce = tables["truce"]
    assert len(truce) == 4 and truce["holds 90 days"].between(0, 1).all()
    assert all(re.fullmatch(r"\d\.\d{3}-\d\.\d{3}", b) for b in truce["90-day 95% band"])
    if nash:
        assert (tables["nash"]["Nash tariff (%)"] > 0).all()


def test_section_html_labels_every_table(small):
    world, res, _, _ = small
    html = strategy_section(res)
    assert html.startswith("<section id='strategy'>") and html.endswith("</section>")
    assert html.count("<table class='strategy'>") == len(res["tables"])
    # every table carries its units, the objective and the elasticity set with its horizon
    assert html.count("Units: ") == len(res["tables"])
    assert html.count("Objective: real-income") == len(res["tables"])
    assert html.count(f"Trade elasticities: {world.meta.elasticities}") == len(res["tables"])
    assert "Leverage" in html and "Package bargaining" in html and "Truce survival" in html
    assert "<script" not in html.split("<style>")[0]


def test_labels_name_the_horizon():
    from detente.world import load_world

    world = load_world("default", horizon="long")
    res = strategy_results(world, ("USA", "CHN"), nash=False, package=False, truce=False)
    html = strategy_section(res)
    assert "long run" in world.meta.elasticities and "long run" in html
    assert set(res["tables"]) == {"leverage", "threat_points"}


def test_special_values_are_readable():
    import pandas as pd

    df = pd.DataFrame(
        {"x": [float("inf"), float("nan"), 1e-5, 0.5], "ok": [True, False, True, False]},
        index=pd.Index(list("abcd"), name="row"),
    )
    df.attrs.update(title="T", units="U")
    out = table_html(df, {"objective": "real income", "elasticities": "E", "world": "W"})
    assert "∞" in out and "–" in out and "1.00e-05" in out and "yes" in out and "Units: U." in out


def test_bad_objective_is_named():
    with pytest.raises(ValueError, match="objective must be 'real-income' or 'revealed', got 'votes'"):
        strategy_results(random_world(3, 2, seed=5), ("C00", "C01"), objective="votes")


def test_report_with_strategy_section(tmp_path, small):
    from detente.policy import load_scenario, replay
    from detente.report._runs import replay_dataset
    from detente.report.html import write_report

    _, res, _, _ = small
    ds = replay_dataset(replay(load_scenario("us-china-2025")))
    index = write_report({"as happened": ds}, tmp_path, png=False, strategy=strategy_section(res))
    text = index.read_text(encoding="utf-8")
    assert "<section id='strategy'>" in text and "href='#strategy'" in text
    assert text.index("id='strategy'") < text.index('id="method"')
    plain = write_report({"as happened": ds}, tmp_path / "plain", png=False).read_text(encoding="utf-8")
    assert "id='strategy'" not in plain and "#strategy" not in plain
