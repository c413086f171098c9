"""The World value: construction, checks that fail loudly, storage, aggregation."""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import DataError, UnknownLabelError
from detente.world import World, aggregate, random_world, read_world, save_world


def test_from_flows_satisfies_every_identity():
    w = random_world(6, 5, seed=3, zero_flow_prob=0.2)
    res = w.accounting_residuals()
    assert max(res.values()) < 1e-13, res
    w.check()
    # deficit = imports - exports, and world deficits sum to zero
    assert np.allclose(w.imports.sum(1) - w.exports.sum(1), w.deficit)
    assert abs(w.deficit.sum()) < 1e-12 * w.value_added.sum()
    # value added adds up to income minus revenue minus deficit
    assert np.allclose(w.income - w.tariff_revenue - w.deficit, w.value_added)


def test_arrays_are_read_only(small_world):
    with pytest.raises(ValueError):
        small_world.trade_shares[0, 0, 0] = 0.5
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        small_world.countries = ("X",)


def _fields(w: World) -> dict:
    return dict(
        expenditure=w.expenditure,
        trade_shares=w.trade_shares,
        tariffs=w.tariffs,
        theta=w.theta,
        va_share=w.va_share,
        io_shares=w.io_shares,
        final_shares=w.final_shares,
        value_added=w.value_added,
        deficit=w.deficit,
    )


@pytest.mark.parametrize(
    "field,mutate,message",
    [
        ("expenditure", lambda a: a.__setitem__((0, 0), np.nan), "non-finite value nan"),
        ("trade_shares", lambda a: a.__setitem__((0, 0, 0), a[0, 0, 0] + 0.1), "sum to"),
        ("tariffs", lambda a: a.__setitem__((0, 1, 0), -1.5), "tariff factor"),
        ("theta", lambda a: a.__setitem__(0, -2.0), "trade elasticity must be positive"),
        ("value_added", lambda a: a.__setitem__(0, -1.0), "negative value"),
        ("final_shares", lambda a: a.__setitem__((0, 0), a[0, 0] + 0.2), "final_shares of C00"),
    ],
)
def test_bad_data_fails_naming_field(small_world, field, mutate, message):
    kw = {k: np.array(v) for k, v in _fields(small_world).items()}
    mutate(kw[field])
    with pytest.raises(DataError, match=field if field != "final_shares" else "final_shares") as e:
        World(small_world.countries, small_world.sectors, **kw)
    assert message in str(e.value)


def test_non_square_trade_table_is_rejected(small_world):
    kw = {k: np.array(v) for k, v in _fields(small_world).items()}
    kw["trade_shares"] = kw["trade_shares"][:, :3, :]
    with pytest.raises(DataError, match=r"trade_shares: expected shape \(4, 4, 3\), got \(4, 3, 3\)"):
        World(small_world.countries, small_world.sectors, **kw)


def test_duplicate_labels_are_rejected(small_world):
    kw = {k: np.array(v) for k, v in _fields(small_world).items()}
    with pytest.raises(DataError, match="duplicate labels"):
        World(("A", "A", "B", "C"), small_world.sectors, **kw)


def test_from_flows_rejects_negative_and_inconsistent_flows():
    w = random_world(3, 2, seed=1)
    T = np.array(w.trade_flows)
    U = w.io_shares * w.gross_output[:, None, :] / (w.expenditure / (T.sum(axis=1)))[:, :, None]
    F = w.final_shares * w.income[:, None] / (w.expenditure / T.sum(axis=1))
    ok = World.from_flows(w.countries, w.sectors, trade=T, tariffs=w.tariffs, inter_use=U, final_use=F, theta=w.theta)
    assert np.allclose(ok.trade_shares, w.trade_shares)
    bad = T.copy()
    bad[0, 1, 0] = -5.0
    with pytest.raises(DataError, match=r"trade: negative flow -5 at index \(0, 1, 0\)"):
        World.from_flows(w.countries, w.sectors, trade=bad, tariffs=w.tariffs, inter_use=U, final_use=F, theta=w.theta)
    with pytest.raises(DataError, match="uses do not add up"):
        World.from_flows(
            w.countries, w.sectors, trade=T, tariffs=w.tariffs, inter_use=U, final_use=F * 1.5, theta=w.theta
        )


def test_unknown_country_names_suggestions(small_world):
    with pytest.raises(UnknownLabelError, match=r"unknown country 'C0'.*did you mean"):
        small_world.country_index("C0")
    with pytest.raises(UnknownLabelError, match="unknown sector 'XX'"):
        small_world.sector_index("XX")


def test_save_and_read_roundtrip_is_exact(tmp_path, small_world):
    p = save_world(small_world, tmp_path / "w.nc")
    back = read_world(p)
    assert back.countries == small_world.countries and back.sectors == small_world.sectors
    for k, v in _fields(small_world).items():
        assert np.array_equal(getattr(back, k), v), k
    assert back.meta == small_world.meta
    assert not list(tmp_path.glob("*.part")), "temporary file left behind"


def test_reading_a_file_that_is_not_a_world(tmp_path):
    p = tmp_path / "fake.nc"
    p.write_text("country,value\nUSA,1\n")
    with pytest.raises(DataError, match="is not a detente world file"):
        read_world(p)
    with pytest.raises(DataError, match="does not exist"):
        read_world(tmp_path / "missing.nc")
    import xarray as xr

    other = tmp_path / "other.nc"
    xr.Dataset({"x": ("a", [1.0, 2.0])}).to_netcdf(other, engine="scipy")
    with pytest.raises(DataError, match="not a detente world"):
        read_world(other)


def test_aggregation_keeps_identities_and_totals():
    w = random_world(6, 4, seed=5, zero_flow_prob=0.1)
    regions = {"A": ["C00", "C03"], "B": ["C01"], "C": ["C02", "C04", "C05"]}
    groups = {"G1": ["S00", "S02"], "G2": ["S01", "S03"]}
    a = aggregate(w, regions, groups, name="agg")
    assert a.countries == ("A", "B", "C") and a.sectors == ("G1", "G2")
    assert max(a.accounting_residuals().values()) < 1e-12
    assert np.isclose(a.value_added.sum(), w.value_added.sum())
    assert np.allclose(a.value_added, [w.value_added[[0, 3]].sum(), w.value_added[1], w.value_added[[2, 4, 5]].sum()])
    assert np.allclose(a.deficit, [w.deficit[[0, 3]].sum(), w.deficit[1], w.deficit[[2, 4, 5]].sum()])
    assert np.isclose(a.gross_output.sum(), w.gross_output.sum())
    assert np.isclose(a.tariff_revenue.sum(), w.tariff_revenue.sum())
    # theta is a weighted mean of the merged sectors
    assert w.theta[[0, 2]].min() - 1e-12 <= a.theta[0] <= w.theta[[0, 2]].max() + 1e-12


def test_identity_aggregation_returns_the_same_world():
    w = random_world(4, 3, seed=8)
    a = aggregate(w)
    for k, v in _fields(w).items():
        assert np.allclose(getattr(a, k), v, rtol=1e-12, atol=1e-14), k


def test_aggregation_errors_name_the_label():
    w = random_world(3, 2, seed=1)
    with pytest.raises(UnknownLabelError, match="unknown country 'ZZZ'"):
        aggregate(w, {"A": ["C00", "ZZZ"], "B": ["C01", "C02"]})
    with pytest.raises(DataError, match=r"in no group: \['C02'\]"):
        aggregate(w, {"A": ["C00"], "B": ["C01"]})
    with pytest.raises(DataError, match="'C01' is in both"):
        aggregate(w, {"A": ["C00", "C01"], "B": ["C01", "C02"]})


def test_a_failed_write_leaves_nothing_behind(tmp_path, small_world):
    from detente._files import atomic_path

    target = tmp_path / "w.nc"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []
    save_world(small_world, target)
    assert [p.name for p in tmp_path.iterdir()] == ["w.nc"]


def test_labels_any_case_full_names_and_icio_aliases():
    """Labels are case-insensitive; a compact world takes a sector's full name and the ICIO
    code of a one-industry group (C29 is MOTOR); a code inside a larger group names the
    group; near misses get suggestions, 'good' gets 'goods'."""
    from detente.errors import UnknownLabelError
    from detente.world import load_world

    w = load_world("default")
    motor = w.sectors.index("MOTOR")
    assert w.sector_index("motor") == w.sector_index("C29") == w.sector_index("c29") == motor
    assert w.sector_index(w.meta.sector_names[motor].upper()) == motor
    assert w.country_index("usa") == w.countries.index("USA")
    with pytest.raises(UnknownLabelError, match="part of AGR"):
        w.sector_index("A01")
    with pytest.raises(UnknownLabelError, match="did you mean goods"):
        w.sector_index("good")
    with pytest.raises(UnknownLabelError, match="did you mean USA"):
        w.country_index("usaa")


def test_the_syntax_errors_own_example_runs_on_the_default_world(capsys):
    from detente.cli import main
    from detente.equilibrium import parse_tariff

    with pytest.raises(Exception, match="CHN<-USA:C29:=25") as err:
        parse_tariff("CHN<-USA")
    example = "CHN<-USA:C29:=25"
    assert example in str(err.value)
    assert main(["whatif", "--tariff", example, "--no-save", "--countries", "usa,chn", "--json"]) == 0
    assert '"USA"' in capsys.readouterr().out


def test_to_dataset_has_one_name_per_axis():
    """Per-country variables share the ``country`` axis, so products align instead of
    broadcasting into a cube (the old ``expenditure`` on ``importer`` made
    ``expenditure * va_share`` a 20 x 22 x 20 array)."""
    from detente.world import load_world

    ds = load_world("default").to_dataset()
    per_country = [v for v in ds.data_vars if "importer" not in ds[v].dims and "exporter" not in ds[v].dims]
    assert {"expenditure", "va_share", "value_added", "final_shares"} <= set(per_country)
    assert (ds.expenditure * ds.va_share).dims == ("country", "sector")
    for v in ("trade_shares", "tariffs", "trade_flows"):
        assert ds[v].dims == ("importer", "exporter", "sector")
