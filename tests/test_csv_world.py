"""Worlds from users' CSV files: layout, errors, round trip, and the gravity acceptance test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.errors import DataError
from detente.world import load_world, random_world, read_csv_world, write_csv_world

FIELDS = (
    "expenditure",
    "trade_shares",
    "tariffs",
    "theta",
    "va_share",
    "io_shares",
    "final_shares",
    "value_added",
    "deficit",
)
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SAMPLE = SHARED_DATA / "gravity_sample" / "sample_data_set.csv"


def _write(path, text):
    path.write_text(text.strip() + "\n")
    return path


ONE = """
exporter,importer,value,tariff
A,A,50,0
B,A,10,5
A,B,20,2.5
B,B,60,0
"""


# ----------------------------------------------------------------------------- layout
def test_one_sector_file_builds_a_consistent_world(tmp_path):
    w = read_csv_world(_write(tmp_path / "two.csv", ONE), theta=4.0, name="two")
    assert w.countries == ("A", "B") and w.sectors == ("total",) and w.meta.name == "two"
    assert np.allclose(w.trade_flows[:, :, 0], [[50, 10], [20, 60]])
    assert np.isclose(w.tariffs[0, 1, 0], 0.05) and np.isclose(w.tariffs[1, 0, 0], 0.025)
    assert np.allclose(w.deficit, [60 - 70, 80 - 70])  # absorption - output
    assert np.allclose(w.va_share, 1.0) and not w.io_shares.any()
    w.check(1e-12)


def test_domestic_sales_can_be_built_from_an_output_column(tmp_path):
    f = _write(
        tmp_path / "out.csv",
        """
exporter,importer,value,output
B,A,10,80
A,B,20,70
""",
    )
    w = read_csv_world(f, theta=5)
    assert w.countries == ("B", "A")  # order of first appearance
    a, b = w.country_index("A"), w.country_index("B")
    assert w.trade_flows[a, a, 0] == 50 and w.trade_flows[b, b, 0] == 70
    assert w.trade_flows[a, b, 0] == 10 and w.trade_flows[b, a, 0] == 20


def test_multi_sector_directory_with_io_value_added_and_theta(tmp_path):
    base = random_world(4, 3, seed=11, zero_flow_prob=0.1)
    base = solve(base, Counterfactual.from_world(base)).to_world("mine")
    write_csv_world(base, tmp_path / "w")
    (tmp_path / "w" / "meta.json").unlink()
    w = read_csv_world(tmp_path / "w", name="mine")
    assert w.countries == base.countries and w.sectors == base.sectors
    assert np.allclose(w.theta, base.theta)
    w.check(1e-10)
    # one number overrides the theta file
    assert np.all(read_csv_world(tmp_path / "w", theta=6.5).theta == 6.5)


@pytest.mark.parametrize("sectors,intermediates", [(3, True), (1, False), (2, True)])
def test_round_trip_gives_identical_arrays(tmp_path, sectors, intermediates):
    w = random_world(5, sectors, seed=sectors, zero_flow_prob=0.1, intermediates=intermediates)
    w = solve(w, Counterfactual.from_world(w)).to_world("round-trip")  # consistent to rounding
    write_csv_world(w, tmp_path / "rt")
    back = read_csv_world(tmp_path / "rt")
    assert back.countries == w.countries and back.sectors == w.sectors
    assert back.meta.name == "round-trip" and back.meta.units == w.meta.units
    for f in FIELDS:
        a, b = getattr(w, f), getattr(back, f)
        assert a.shape == b.shape and np.allclose(a, b, rtol=1e-13, atol=1e-14 * max(1.0, np.abs(a).max())), f
    # and a second round trip is exact to the last digit written
    write_csv_world(back, tmp_path / "rt2")

    again = read_csv_world(tmp_path / "rt2")
    for f in FIELDS:
        assert np.allclose(getattr(again, f), getattr(back, f), rtol=1e-14, atol=1e-15), f


def test_load_world_reads_csv_paths(tmp_path):
    f = _write(tmp_path / "two.csv", ONE)
    w = load_world(str(f), theta=4)
    assert w.n_countries == 2
    with pytest.raises(DataError, match="no trade elasticity"):
        load_world(str(f))


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "text,match",
    [
        (
            "exporter,importer,value\nA,A,50\nB,A,-10\nA,B,20\nB,B,60",
            r"bad\.csv, row 3, column 'value': negative value -10",
        ),
        (
            "exporter,importer,value\nA,A,50\nB,A,ten\nA,B,20\nB,B,60",
            r"bad\.csv, row 3, column 'value': 'ten' is not a finite number",
        ),
        (
            "exporter,importer,value,colour\nA,A,50,red\nB,A,10,red\nA,B,20,red\nB,B,60,red",
            r"unknown column\(s\) 'colour'",
        ),
        ("exporter,importer,amount\nA,A,50", r"missing column\(s\) 'value'"),
        (
            "exporter,importer,value\nA,A,50\nB,A,10\nB,B,60",
            r"1 of 4 \(exporter, importer, sector\) rows are missing, e\.g\. the flow A->B",
        ),
        ("exporter,importer,value\nA,A,50\nB,A,10\nA,B,20", r"domestic sales B->B .*domestic sales are required"),
        (
            "exporter,importer,value\nA,A,50\nB,A,10\nA,B,20\nB,B,60\nB,A,11",
            r"row 6: flow B->A .* appears twice \(first on row 3\)",
        ),
        ("exporter,importer,value,tariff\nA,A,50,0\nB,A,10,-120\nA,B,20,0\nB,B,60,0", r"row 3, column 'tariff': -120%"),
        ("exporter,importer,value\nA,A,50\n,A,10\nA,B,20\nB,B,60", r"row 3, column 'exporter': empty label"),
    ],
)
def test_bad_input_names_file_row_column_and_value(tmp_path, text, match):
    with pytest.raises(DataError, match=match):
        read_csv_world(_write(tmp_path / "bad.csv", text), theta=4)


def test_missing_flows_may_be_read_as_zero(tmp_path):
    f = _write(tmp_path / "sparse.csv", "exporter,importer,value\nA,A,50\nB,A,10\nB,B,60")
    w = read_csv_world(f, theta=4, missing="zero")
    assert w.trade_flows[1, 0, 0] == 0.0


def test_multi_sector_errors(tmp_path):
    d = tmp_path / "ms"
    d.mkdir()
    _write(
        d / "flows.csv",
        """
exporter,importer,sector,value
A,A,g,50
A,A,s,30
A,B,g,5
A,B,s,1
B,A,g,6
B,A,s,2
B,B,g,40
B,B,s,20
""",
    )
    with pytest.raises(DataError, match="2 sectors need intermediate purchases"):
        read_csv_world(d, theta=4)
    assert read_csv_world(d, theta={"g": 4, "s": 8}, io=False).theta.tolist() == [4.0, 8.0]
    _write(d / "io.csv", "country,input_sector,sector,value\nA,g,s,10\nB,s,g,3\nB,x,g,1")
    with pytest.raises(DataError, match=r"io\.csv, row 4, column 'input_sector': 'x' is not a sector"):
        read_csv_world(d, theta=4)
    _write(d / "io.csv", "country,input_sector,sector,value\nA,g,s,10\nB,s,g,3")
    w = read_csv_world(d, theta=4)
    assert np.isclose(w.io_shares[0, 0, 1], 10 / 31) and np.isclose(w.io_shares[1, 1, 0], 3 / 46)
    w.check(1e-12)
    _write(d / "value_added.csv", "country,sector,value\nA,g,56\nA,s,21\nB,g,43\nB,s,22")
    with pytest.raises(DataError, match=r"value added of \(A, g\) is 56 but output less input purchases is 55"):
        read_csv_world(d, theta=4)
    _write(d / "value_added.csv", "country,sector,value\nA,g,55\nA,s,21\nB,g,43\nB,s,22")
    read_csv_world(d, theta=4)
    _write(d / "theta.csv", "sector,theta\ng,4\ns,abc")
    with pytest.raises(DataError, match=r"theta\.csv, row 3, column 'theta': 'abc'"):
        read_csv_world(d)


# ----------------------------------------------------------------------------- acceptance
def _sample_or_skip():
    if not SAMPLE.is_file():
        pytest.skip(f"gegravity sample data not found at {SAMPLE} (the ../shared/data folder is absent)")
    return SAMPLE


def _independent_fixed_ratio_solution(path, theta, d_hat_of):
    """Exact hat algebra of the Armington / AvW endowment economy, from the raw CSV.

    Textbook equations, written without detente: Y_i = sum_n X_ni, E_n = sum_i X_ni,
    phi_n = E_n / Y_n, pi_ni = X_ni / E_n;
        pi'_ni = pi_ni (d_ni p_i)^-theta / sum_l pi_nl (d_nl p_l)^-theta
        Y'_i = p_i Y_i,  E'_n = Y'_n (phi_n - (sum_m phi_m Y'_m / sum_m Y'_m - 1))
        Y'_i = sum_n pi'_ni E'_n  (N - 1 of them)  and  sum_i p_i Y_i = sum_i Y_i.
    E'_n = phi_n Y'_n is shifted by a common amount so that world expenditure equals
    world output (detente's zero-sum rule for the fixed-ratio closure).
    """
    import pandas as pd
    from scipy.optimize import root

    df = pd.read_csv(path)
    names = sorted(set(df["exporter"]))
    k = {c: i for i, c in enumerate(names)}
    N = len(names)
    X = np.zeros((N, N))  # X[n, i]: importer n, exporter i
    for e, m, v in zip(df["exporter"], df["importer"], df["trade"]):
        X[k[m], k[e]] = v
    Y, E = X.sum(axis=0), X.sum(axis=1)
    phi, pi = E / Y, X / E[:, None]
    d = np.ones((N, N))
    for (m, e), f in d_hat_of.items():
        d[k[m], k[e]] = f

    def parts(lp):
        p = np.exp(lp)
        num = pi * (d * p[None, :]) ** (-theta)
        pin = num / num.sum(axis=1, keepdims=True)
        Yn = p * Y
        En = Yn * (phi - ((phi * Yn).sum() / Yn.sum() - 1.0))
        return p, num, pin, Yn, En

    def F(lp):
        p, num, pin, Yn, En = parts(lp)
        clear = (pin * En[:, None]).sum(axis=0) / Yn - 1.0
        return np.concatenate([clear[:-1], [(p * Y).sum() / Y.sum() - 1.0]])

    sol = root(F, np.zeros(N), method="hybr", tol=1e-15)
    assert sol.success and np.abs(F(sol.x)).max() < 1e-13
    p, num, pin, Yn, En = parts(sol.x)
    P = num.sum(axis=1) ** (-1.0 / theta)
    welfare = (En / E) / P
    return names, p, P, welfare, En - Yn


@pytest.mark.parametrize("shock", ["can_jpn_pta", "big"])
def test_one_sector_csv_with_fixed_ratios_matches_an_independent_solution(shock):
    path = _sample_or_skip()
    theta = 4.0  # sigma = 5, as in gegravity's documented experiment
    if shock == "can_jpn_pta":  # PTA coefficient of gegravity's PPML: t^(1-sigma) x exp(0.4711383)
        f = float(np.exp(-0.4711383 / theta))
        pairs = {("CAN", "JPN"): f, ("JPN", "CAN"): f}
    else:
        pairs = {("USA", "CHN"): 1.6, ("CHN", "USA"): 1.4, ("DEU", "FRA"): 0.7, ("HKG", "CHN"): 2.0}
    names, p, P, welfare, D = _independent_fixed_ratio_solution(path, theta, pairs)

    w = read_csv_world(path, theta=theta, columns={"value": "trade"}, extra_columns="ignore", name="gegravity-sample")
    cf = Counterfactual.from_world(w, closure="fixed-ratios")
    for (m, e), f in pairs.items():
        cf = cf.iceberg_cost(m, e, "all", f)
    eq = solve(w, cf, tol=1e-14)
    idx = [w.country_index(c) for c in names]
    assert np.abs(eq.solution.w_hat[idx] - p).max() < 1e-6
    assert np.abs(eq.solution.P_hat[idx, 0] - P).max() < 1e-6
    assert np.abs(eq.welfare_hat[idx] - welfare).max() < 1e-6
    assert np.abs(eq.deficits[idx] - D).max() / w.value_added.sum() < 1e-9
    # in fact they agree to rounding
    assert np.abs(eq.solution.w_hat[idx] - p).max() < 1e-11
    assert eq.provenance()["closure"] == "fixed-ratios"
    if shock == "can_jpn_pta":
        can, jpn = w.country_index("CAN"), w.country_index("JPN")
        assert eq.welfare_hat[can] > 1 and eq.welfare_hat[jpn] > 1
