"""Reading official OECD ICIO CSV files (``{year}_SML.csv`` layout) into a World."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.errors import DataError
from detente.world._icio import FINAL_DEMAND, read_icio_csv

COUNTRIES = ["USA", "CHN", "ROW"]
INDUSTRIES = ["A01", "C26", "C29", "G"]
N, J = len(COUNTRIES), len(INDUSTRIES)
ZERO_TAU = np.zeros((N, N, J))
THETA = np.full(J, 5.0)


def make_table(seed: int = 0, *, total: bool = False) -> dict:
    """A small consistent ICIO table: DataFrame in the official layout plus the truth."""
    rng = np.random.default_rng(seed)
    nodes = [f"{c}_{j}" for c in COUNTRIES for j in INDUSTRIES]  # country-major, as OECD
    R = len(nodes)
    Z = rng.uniform(1.0, 10.0, (R, R))
    fd = {(c, k): rng.uniform(2.0, 20.0, R) for c in COUNTRIES for k in FINAL_DEMAND}
    for c in COUNTRIES:  # inventory run-downs and purchases abroad may be negative
        fd[(c, "INVNT")] = rng.uniform(-1.0, 1.0, R)
        fd[(c, "DPABR")] = rng.uniform(-0.5, 1.0, R)
    fd_cols = [f"{c}_{k}" for c in COUNTRIES for k in FINAL_DEMAND]
    FD = np.column_stack([fd[(c, k)] for c in COUNTRIES for k in FINAL_DEMAND])
    out = Z.sum(axis=1) + FD.sum(axis=1)
    tls = 0.02 * out
    va = out - Z.sum(axis=0) - tls
    body = np.hstack([Z, FD, out[:, None]])
    cols = nodes + fd_cols + ["OUT"]
    df = pd.DataFrame(body, index=nodes, columns=cols)
    extra = pd.DataFrame(
        np.vstack(
            [
                np.r_[tls, np.zeros(len(fd_cols)), np.nan],
                np.r_[va, np.zeros(len(fd_cols)), np.nan],
                np.r_[out, np.zeros(len(fd_cols)), np.nan],
            ]
        ),
        index=["TLS", "VA", "OUT"],
        columns=cols,
    ).fillna(0.0)
    df = pd.concat([df, extra])
    if total:
        df["TOTAL"] = df.sum(axis=1)
        df.loc["TOTAL"] = df.sum(axis=0)
    df.index.name = "V1"
    final = np.zeros((R, N))  # net final demand by destination
    for n, c in enumerate(COUNTRIES):
        final[:, n] = sum(fd[(c, k)] for k in FINAL_DEMAND)
    return {"df": df, "nodes": nodes, "Z": Z, "final": final}


def write(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path)
    return path


def read(path: Path):
    return read_icio_csv(path, tariffs=ZERO_TAU, theta=THETA)


def test_reads_flows_and_identities(tmp_path):
    t = make_table()
    w = read(write(t["df"], tmp_path / "2022_SML.csv")).check()
    assert w.countries == tuple(COUNTRIES) and w.sectors == tuple(INDUSTRIES)
    assert w.meta.year == 2022 and w.meta.units == "USD million"
    Z4 = t["Z"].reshape(N, J, N, J)  # [i, j, n, k] (country-major file order)
    final = np.clip(t["final"], 0.0, None).reshape(N, J, N)  # [i, j, n]
    expected = Z4.sum(axis=3).transpose(2, 0, 1) + final.transpose(2, 0, 1)  # [n, i, j]
    np.testing.assert_allclose(w.trade_flows, expected, rtol=1e-12)
    np.testing.assert_allclose(w.gross_output, expected.sum(axis=0), rtol=1e-12)
    # intermediate use by (n, input j, user k)
    use = w.io_shares * w.gross_output[:, None, :]
    np.testing.assert_allclose(use, Z4.sum(axis=0).transpose(1, 0, 2), rtol=1e-10)
    assert abs(w.deficit.sum()) < 1e-9 * w.gross_output.sum()


def test_uses_true_final_demand_split(tmp_path):
    t = make_table(seed=3)
    w = read(write(t["df"], tmp_path / "2022_SML.csv"))
    final = np.clip(t["final"], 0.0, None).reshape(N, J, N)  # [i, j, n]
    by_dest = final.sum(axis=0).T  # [n, j]
    np.testing.assert_allclose(w.final_shares * w.income[:, None], by_dest, rtol=1e-10)
    # the final part of bilateral trade is the file's own destination split, not a model
    inter = t["Z"].reshape(N, J, N, J).sum(axis=3).transpose(2, 0, 1)
    np.testing.assert_allclose(w.trade_flows - inter, final.transpose(2, 0, 1), atol=1e-10)


def test_negative_net_final_demand_is_clipped_and_reported(tmp_path):
    t = make_table(seed=1)
    df = t["df"]
    df.loc["USA_A01", [f"CHN_{k}" for k in FINAL_DEMAND if k not in ("INVNT",)]] = 0.0
    df.loc["USA_A01", "CHN_INVNT"] = -3.0
    w = read(write(df, tmp_path / "2022_SML.csv")).check()
    n, i, j = COUNTRIES.index("CHN"), COUNTRIES.index("USA"), INDUSTRIES.index("A01")
    Z4 = t["Z"].reshape(N, J, N, J)
    assert w.trade_flows[n, i, j] == pytest.approx(Z4[i, j, n].sum())
    note = next(x for x in w.meta.notes if "net final demand negative" in x)
    assert "mass 3" in note


def test_tolerates_total_row_and_column(tmp_path):
    t = make_table(seed=2)
    a = read(write(t["df"], tmp_path / "a.csv"))
    b = read(write(make_table(seed=2, total=True)["df"], tmp_path / "b.csv"))
    np.testing.assert_allclose(a.trade_flows, b.trade_flows, rtol=1e-12)


def test_callables_for_tariffs_and_theta(tmp_path):
    t = make_table()
    seen = {}

    def tariffs(countries, industries):
        seen["labels"] = (list(countries), list(industries))
        tau = np.full((len(countries), len(countries), len(industries)), 0.05)
        tau[np.arange(len(countries)), np.arange(len(countries))] = 0.0
        return tau

    w = read_icio_csv(
        write(t["df"], tmp_path / "x.csv"), tariffs=tariffs, theta=lambda j: np.full(len(j), 4.0), year=2022
    ).check()
    assert seen["labels"] == (COUNTRIES, INDUSTRIES)
    assert w.tariffs[0, 1, 0] == 0.05 and (w.theta == 4.0).all()
    assert w.tariff_revenue.sum() > 0


# ---------------------------------------------------------------------- bad files
def _bad(tmp_path, mutate, name="bad.csv") -> str:
    df = make_table()["df"]
    df = mutate(df)
    path = write(df, tmp_path / name) if isinstance(df, pd.DataFrame) else df
    with pytest.raises(DataError) as exc:
        read(path)
    msg = str(exc.value)
    assert Path(path).name in msg
    return msg


def test_error_non_square(tmp_path):
    msg = _bad(tmp_path, lambda df: df.drop(columns=["CHN_C29"]))
    assert "not square" in msg and "CHN_C29" in msg


def test_error_unknown_row_label(tmp_path):
    msg = _bad(tmp_path, lambda df: df.rename(index={"TLS": "TAXES"}))
    assert "TAXES" in msg


def test_error_unknown_column_label(tmp_path):
    msg = _bad(tmp_path, lambda df: df.rename(columns={"USA_HFCE": "USA_XYZ"}))
    assert "USA_XYZ" in msg


def test_error_nan(tmp_path):
    def mutate(df):
        df.loc["CHN_G", "USA_C26"] = np.nan
        return df

    msg = _bad(tmp_path, mutate)
    assert "CHN_G" in msg and "USA_C26" in msg and "nan" in msg


def test_error_negative_intermediate(tmp_path):
    def mutate(df):
        df.loc["USA_C26", "CHN_C29"] = -7.5
        return df

    msg = _bad(tmp_path, mutate)
    assert "USA_C26" in msg and "CHN_C29" in msg and "-7.5" in msg


def test_error_negative_household_demand(tmp_path):
    def mutate(df):
        df.loc["ROW_G", "USA_HFCE"] = -2.0
        return df

    msg = _bad(tmp_path, mutate)
    assert "ROW_G" in msg and "USA_HFCE" in msg and "INVNT" in msg


def test_error_non_numeric_cell(tmp_path):
    def mutate(df):
        df = df.astype(object)
        df.loc["USA_A01", "USA_G"] = "n/a?"
        return df

    msg = _bad(tmp_path, mutate)
    assert "USA_A01" in msg and "USA_G" in msg and "n/a?" in msg


def test_error_no_final_demand_for_a_country(tmp_path):
    msg = _bad(tmp_path, lambda df: df.drop(columns=[f"ROW_{k}" for k in FINAL_DEMAND]))
    assert "ROW" in msg and "final-demand" in msg


def test_error_not_csv(tmp_path):
    def mutate(_df):
        p = tmp_path / "image.csv"
        p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
        return p

    _bad(tmp_path, mutate)


def test_error_not_icio_layout(tmp_path):
    def mutate(_df):
        p = tmp_path / "other.csv"
        p.write_text("name,value,weight\nfoo,1,2\nbar,3,4\n")
        return p

    msg = _bad(tmp_path, mutate)
    assert "foo" in msg


def test_error_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read(tmp_path / "nope.csv")
