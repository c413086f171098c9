"""The worked example of "adding an instrument": an export tax from a scenario file to the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "export-tax.yaml"


def test_export_tax_event_from_file_to_report(tmp_path, capsys):
    from detente.cli import main
    from detente.equilibrium import Counterfactual, solve
    from detente.policy import load_scenario, replay
    from detente.policy._timeline import export_tax_state
    from detente.world import load_world

    assert main(["validate", str(EXAMPLE)]) == 0
    sc = load_scenario(str(EXAMPLE))
    w = load_world("default")
    import datetime as dt

    x = export_tax_state(w, sc, dt.date(2025, 4, 1))
    chn, usa = w.country_index("CHN"), w.country_index("USA")
    steel = w.sector_index("STEEL")
    assert np.isclose(x[usa, chn, steel], 0.20) and x[chn, chn, steel] == 0 and x[chn, usa].sum() == 0
    assert not export_tax_state(w, sc, dt.date(2025, 9, 1)).any()  # lifted
    rp = replay(sc)
    # the replay's state equals the same tax through the Python API, rent to China
    k = [str(d)[:10] for d in rp.dataset.date.values].index("2025-04-01")
    eq = rp.equilibria[rp.state_keys[k]]
    direct = solve(w, Counterfactual.from_world(w).export_tax("CHN", "all", "STEEL,NONFERROUS", 20))
    np.testing.assert_allclose(eq.welfare_hat, direct.welfare_hat, atol=1e-12)
    assert eq.solution.E[chn] > 0 and eq.welfare_hat[chn] > 1
    # and the report shows it: the event in the change points
    out = tmp_path / "report"
    assert main(["report", str(EXAMPLE), "--out", str(out), "--no-png", "--quiet"]) == 0
    html = (out / "index.html").read_text()
    assert "X001" in html and "export-tax-example" in html
