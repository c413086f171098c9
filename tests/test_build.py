"""Building the default worlds from the OECD ICIO 2022 benchmark (sanction-simulator npz)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest

from detente.errors import DataError
from detente.world import read_world
from detente.world._build import (
    BENCH_MEMBER,
    BENCH_WHEEL,
    COMPACT_REGIONS,
    COMPACT_SECTOR_NAMES,
    COMPACT_SECTORS,
    ICIO_COUNTRIES,
    ICIO_INDUSTRIES,
    build_default_worlds,
    build_icio_world,
    fetch_benchmark,
    read_benchmark,
    reconstruct_final_demand,
)

N, J = 4, 3
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


def synthetic_flows(seed: int = 0, n: int = N, j: int = J):
    """Industry-major Z (node = j * N + i) and final sales that follow intermediate sourcing."""
    rng = np.random.default_rng(seed)
    R = n * j
    Z = rng.uniform(0.5, 5.0, (R, R)) * (1 + 4 * np.kron(np.ones((j, j)), np.eye(n)))
    M = Z.reshape(j, n, j, n).sum(axis=2).transpose(0, 2, 1)  # [j, n, i]
    pi = M / M.sum(axis=2, keepdims=True)
    F = rng.uniform(10.0, 60.0, (n, j))  # [n, j]
    final = np.einsum("jni,nj->jin", pi, F).reshape(R, n)  # [(j, i), n]
    return Z, final, F


def write_bench(path: Path, seed: int = 0) -> Path:
    """A small npz in the layout of sanction-simulator's bench_cache.npz."""
    Z, final, _ = synthetic_flows(seed)
    z = final.sum(axis=1)
    go = Z.sum(axis=1) + z
    interm = Z.sum(axis=0)
    omb = interm / go
    A = Z / interm[None, :]
    countries = np.array(["USA", "CHN", "MEX", "DEU"])
    sectors = np.array(["A01", "C26", "C29"])
    np.savez(
        path,
        A=A,
        omb=omb,
        z=z,
        s=go,
        go=go,
        dbar=go - z,
        audit=json.dumps({"beta_capped_columns": 0}),
        countries=countries,
        sectors=sectors,
    )
    return path


def zero_policy(n: int = N, j: int = J):
    return {"tariffs": np.zeros((n, n, j)), "theta": np.full(j, 5.0)}


# ---------------------------------------------------------------------- final demand
def test_reconstruction_recovers_known_final_demand():
    Z, final, F = synthetic_flows(seed=4)
    fit = reconstruct_final_demand(Z, final.sum(axis=1), N)
    np.testing.assert_allclose(fit.expenditure, F, rtol=1e-9)
    np.testing.assert_allclose(fit.by_origin, final, rtol=1e-9, atol=1e-9)
    assert fit.residual < 1e-12 and fit.rescaled < 1e-12
    assert fit.residual_by_sector.max() < 1e-12
    assert fit.domestic_fallback == ()
    np.testing.assert_allclose(fit.sourcing.sum(axis=2), 1.0)


def test_reconstruction_is_non_negative_and_matches_totals_when_inconsistent():
    Z, final, _ = synthetic_flows(seed=5)
    z = final.sum(axis=1)
    z[1] *= 30.0  # no non-negative F explains this
    fit = reconstruct_final_demand(Z, z, N)
    assert (fit.expenditure >= 0).all() and (fit.by_origin >= 0).all()
    assert fit.residual > 1e-3
    np.testing.assert_allclose(fit.by_origin.sum(axis=1), z, rtol=1e-12)
    raw = reconstruct_final_demand(Z, z, N, match_totals=False)
    assert raw.rescaled == 0.0 and raw.residual == pytest.approx(fit.residual)


def test_reconstruction_domestic_fallback():
    Z, final, _ = synthetic_flows(seed=6)
    Z4 = Z.reshape(J, N, J, N)  # [j, i, k, n]
    Z4[1, :, :, 2] = 0.0  # country 2 buys no sector-1 inputs
    fit = reconstruct_final_demand(Z4.reshape(N * J, N * J), final.sum(axis=1), N)
    assert (2, 1) in fit.domestic_fallback
    assert fit.sourcing[1, 2, 2] == 1.0 and fit.sourcing[1, 2].sum() == 1.0


def test_reconstruction_rejects_bad_shapes():
    Z, final, _ = synthetic_flows()
    with pytest.raises(DataError):
        reconstruct_final_demand(Z, final.sum(axis=1), 5)


# ---------------------------------------------------------------------- build
def test_build_synthetic_benchmark_is_consistent_and_reproducible(tmp_path):
    npz = write_bench(tmp_path / "bench.npz")
    a = build_icio_world(npz, expected_sha256=None, **zero_policy()).check()
    b = build_icio_world(npz, expected_sha256=None, **zero_policy()).check()
    for f in FIELDS:
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert a.meta.name == "oecd-icio-2022" and a.meta.year == 2022
    assert any("rest-of-world" in n for n in a.meta.notes)
    assert any("sha256" in s for s in a.meta.sources)
    Z, final, F = synthetic_flows()
    expected = (Z.reshape(J, N, J, N).sum(axis=2) + final.reshape(J, N, N)).transpose(2, 1, 0)
    np.testing.assert_allclose(a.trade_flows, expected, rtol=1e-9)
    np.testing.assert_allclose(a.final_shares * a.income[:, None], F, rtol=1e-9)


def test_build_with_tariffs_keeps_value_added_positive(tmp_path):
    npz = write_bench(tmp_path / "bench.npz")
    tau = np.full((N, N, J), 3.0)  # absurd tariffs force the input-spending cap
    tau[np.arange(N), np.arange(N)] = 0.0
    w = build_icio_world(npz, expected_sha256=None, tariffs=tau, theta=np.full(J, 5.0)).check()
    assert w.va_share.min() >= 0.02 - 1e-12
    assert any("capped" in n for n in w.meta.notes)


def test_read_benchmark_from_wheel_and_checks_sha(tmp_path):
    npz = write_bench(tmp_path / "bench.npz")
    wheel = tmp_path / BENCH_WHEEL
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(npz, BENCH_MEMBER)
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()
    d = read_benchmark(wheel, expected_sha256=digest)
    assert d["sha256"] == digest and d["countries"] == ["USA", "CHN", "MEX", "DEU"]
    assert d["A"].shape == (N * J, N * J)
    with pytest.raises(DataError, match="sha256"):
        read_benchmark(wheel)  # the default expects the official file
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(DataError, match="bad.npz"):
        read_benchmark(bad, expected_sha256=None)


def test_build_default_worlds_writes_full_world(tmp_path):
    npz = write_bench(tmp_path / "bench.npz")
    paths = build_default_worlds(tmp_path / "out", source=npz, expected_sha256=None, **zero_policy())
    assert paths == {"oecd-icio-2022": tmp_path / "out" / "worlds" / "oecd-icio-2022.nc"}
    w = read_world(paths["oecd-icio-2022"]).check()
    ref = build_icio_world(npz, expected_sha256=None, **zero_policy())
    np.testing.assert_allclose(w.trade_flows, ref.trade_flows, rtol=1e-12)
    assert not list((tmp_path / "out" / "worlds").glob("*.part"))


def test_fetch_benchmark_reuses_cache_and_reports_offline(tmp_path, monkeypatch):
    cached = tmp_path / "cache" / BENCH_WHEEL
    cached.parent.mkdir()
    cached.write_bytes(b"x")
    assert fetch_benchmark(tmp_path / "cache") == cached

    def offline(cmd, **kw):
        assert cmd[1:5] == ["-m", "pip", "download", "--no-deps"]
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found")

    monkeypatch.setattr(subprocess, "run", offline)
    with pytest.raises(DataError, match="offline"):
        fetch_benchmark(tmp_path / "empty")


# ---------------------------------------------------------------------- compact groups
@pytest.mark.parametrize(
    "groups, codes, size", [(COMPACT_REGIONS, ICIO_COUNTRIES, (18, 22)), (COMPACT_SECTORS, ICIO_INDUSTRIES, (20, 24))]
)
def test_compact_groups_cover_every_code_once(groups, codes, size):
    members = [m for ms in groups.values() for m in ms]
    assert sorted(members) == sorted(codes)
    assert len(codes) in (80, 50)
    assert size[0] <= len(groups) <= size[1]


def test_compact_keeps_key_economies_and_sectors():
    for c in (
        "USA",
        "CHN",
        "MEX",
        "CAN",
        "JPN",
        "KOR",
        "TWN",
        "VNM",
        "DEU",
        "IND",
        "GBR",
        "FRA",
        "ITA",
        "BRA",
        "AUS",
        "RUS",
    ):
        assert COMPACT_REGIONS[c] == [c]
    assert COMPACT_SECTORS["MOTOR"] == ["C29"] and COMPACT_SECTORS["ELECTRONICS"] == ["C26"]
    assert COMPACT_SECTORS["STEEL"] == ["C24A"] and COMPACT_SECTORS["NONFERROUS"] == ["C24B"]
    assert set(COMPACT_SECTOR_NAMES) == set(COMPACT_SECTORS)


# ---------------------------------------------------------------------- the real data
def _cached_wheel() -> Path | None:
    dirs = [Path(os.environ["DETENTE_DATA_DIR"]) / "cache"] if os.environ.get("DETENTE_DATA_DIR") else []
    for d in dirs + [Path("/tmp/ss")]:
        if (d / BENCH_WHEEL).is_file():
            return d / BENCH_WHEEL
    return None


@pytest.mark.slow
def test_real_icio_2022_world(tmp_path):
    wheel = _cached_wheel()
    if wheel is None:
        pytest.skip(
            f"{BENCH_WHEEL} is not cached in $DETENTE_DATA_DIR/cache or /tmp/ss "
            "(tests never download; run `pip download --no-deps sanction-simulator==0.1.4`)"
        )
    try:
        kw = {}
        import detente.world._elasticities  # noqa: F401
        import detente.world._tariffs  # noqa: F401
    except ImportError:
        kw = zero_policy(80, 50)
    paths = build_default_worlds(tmp_path, compact_path=tmp_path / "compact.nc", source=wheel, **kw)
    full = read_world(paths["oecd-icio-2022"]).check()
    assert (full.n_countries, full.n_sectors) == (80, 50)
    D = dict(zip(full.countries, full.deficit))
    assert 4e5 < D["USA"] < 1.5e6  # USD million: a deficit of the order of a trillion
    assert D["CHN"] < -1e5  # a large surplus
    assert abs(sum(D.values())) < 1e-6 * full.gross_output.sum()
    compact = read_world(paths["oecd-icio-2022-compact"]).check()
    assert compact.countries == tuple(COMPACT_REGIONS) and compact.sectors == tuple(COMPACT_SECTORS)
    np.testing.assert_allclose(compact.deficit[compact.country_index("USA")], D["USA"], rtol=1e-9)
