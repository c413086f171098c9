"""The results store: exact round trips, listing, comparing, exporting, and atomic saves
(an interrupted save, by an exception or by the process dying, leaves no half run)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from detente.errors import DetenteError, UnknownLabelError
from detente.store import (
    RunRecord,
    RunStore,
    StoreError,
    code_version,
    default_store_path,
    record_from_equilibrium,
    record_from_replay,
)

duckdb = pytest.importorskip("duckdb")
TABLES = ("runs", "variables", "slices", "numbers", "strings")


@pytest.fixture(autouse=True)
def _no_user_data_dir(tmp_path, monkeypatch):
    """Never touch the real data directory: point both variables into tmp_path."""
    monkeypatch.setenv("DETENTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path / "env-store.duckdb"))


@pytest.fixture(scope="module")
def replay_record():
    from detente.policy import load_scenario, replay

    return record_from_replay(replay(load_scenario("us-china-2025")))


def synthetic_record(n_dates: int = 6, seed: int = 0, *, big: bool = False, name: str = "synthetic") -> RunRecord:
    """A small dataset with every kind of value the store must keep exactly."""
    rng = np.random.default_rng(seed)
    c, s = ["USA", "CHN", "MEX"], ["AGR", "C29", "SRV", "MIN"]
    if big:
        c = [f"C{k:02d}" for k in range(20)]
        s = [f"S{k:02d}" for k in range(22)]
    days = np.arange(np.datetime64("2025-01-01"), np.datetime64("2025-01-01") + 7 * n_dates, 7).astype("datetime64[s]")
    N, J, T = len(c), len(s), n_dates
    trade = rng.lognormal(size=(N, N, J, T))
    trade[..., T // 2 :] = trade[..., T // 2 : T // 2 + 1]  # repeated states: stored once
    welfare = rng.normal(size=(N, T))
    welfare[0, 0], welfare[1, 0], welfare[2, 0] = np.nan, -0.0, np.inf
    welfare[0, 1] = 5e-324  # the smallest subnormal
    ds = xr.Dataset(
        {
            "welfare_pct": (("country", "date"), welfare, {"units": "%", "long_name": "real income"}),
            "real_wage_pct": (("country", "date"), rng.normal(size=(N, T)), {"units": "%"}),
            "trade": (("importer", "exporter", "sector", "date"), trade, {"units": "USD million"}),
            "avg_tariff_pct": (("importer", "date", "exporter"), rng.uniform(0, 150, size=(N, T, N))),
            "weights32": (("sector",), rng.normal(size=J).astype(np.float32)),
            "count": (("country",), np.array([2**62 + 1, -3, 0][:N] + [7] * (N - 3), dtype=np.int64)),
            "small_int": (("country", "date"), rng.integers(-5, 5, size=(N, T)).astype(np.int32)),
            "flag": (("country",), np.array([True, False, True] + [False] * (N - 3))),
            "state": (("date",), np.array([f"k{min(t, T // 2)}" for t in range(T)], dtype=object)),
            "note": (("country",), np.array(["ok", None, "ünïcødé"] + ["x"] * (N - 3), dtype=object)),
            "first_seen": (
                ("country",),
                np.array(
                    ["2025-04-02T10:11:12.123456789", "NaT", "2018-07-06"] + ["2020-01-01"] * (N - 3),
                    dtype="datetime64[ns]",
                ),
            ),
            "lag": (("country",), np.array([1, 2, 3] + [0] * (N - 3), dtype="timedelta64[D]")),
            "total": ((), 3.25, {"units": "1"}),
            "unlabelled": (("draw", "date"), rng.normal(size=(2, T))),
        },
        coords={
            "country": c,
            "importer": c,
            "exporter": c,
            "sector": s,
            "date": days,
            "sector_name": ("sector", [f"long {x}" for x in s]),
        },
        attrs={"scenario": name, "n_solves": 3, "tol": 1e-12, "flags": ["a", "b"]},
    )
    return RunRecord(
        kind="replay",
        name=name,
        variant="v1+v2",
        world="synthetic-world",
        vintage="test vintage",
        code_version=code_version(),
        settings={"deficits": "baseline", "elasticity_overrides": {"C29": 4.5}, "tol": 1e-12},
        scenario_text="name: synthetic\n",
        seed=seed,
        created_at="2025-11-27T14:03:09+00:00",
        dataset=ds,
        summary={"welfare_last": {"USA": 0.1}, "n": 3},
    )


def assert_exact(a: xr.Dataset, b: xr.Dataset) -> None:
    """Identical datasets, same dtypes, floats equal bit for bit (NaN as NaN)."""
    xr.testing.assert_identical(a, b)
    assert list(a.data_vars) == list(b.data_vars)
    for name in a.variables:
        x, y = a[name].values, b[name].values
        assert x.dtype == y.dtype, name
        assert a[name].dims == b[name].dims, name
        if x.dtype.kind == "f":
            nan = np.isnan(x)
            assert np.array_equal(nan, np.isnan(y)), name
            assert np.array_equal(x[~nan].view(f"i{x.dtype.itemsize}"), y[~nan].view(f"i{x.dtype.itemsize}")), name
        elif x.dtype == object:  # text; xarray holds missing text as NaN
            assert [v if isinstance(v, str) else None for v in x.ravel()] == [
                v if isinstance(v, str) else None for v in y.ravel()
            ], name
        elif x.dtype.kind in "Mm":  # NaT != NaT: compare the stored integers
            assert np.array_equal(x.view(np.int64), y.view(np.int64)), name
        else:
            assert np.array_equal(x, y), name


def row_counts(path: Path) -> dict[str, dict[str, int]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: dict(con.execute(f"SELECT {'id' if t == 'runs' else 'run_id'}, count(*) FROM {t} GROUP BY 1").fetchall())
            for t in TABLES
        }
    finally:
        con.close()


# ---------------------------------------------------------------------------- round trips
def test_replay_round_trips_exactly(tmp_path, replay_record):
    store = RunStore(tmp_path / "runs.duckdb")
    rid = store.save(replay_record)
    assert rid.startswith("r-") and len(rid.split("-")[-1]) == 6
    back = store.load(rid)
    assert_exact(replay_record.dataset, back.dataset)
    for f in dataclasses.fields(RunRecord):
        if f.name not in ("dataset", "id"):
            assert getattr(back, f.name) == getattr(replay_record, f.name), f.name
    assert back.id == rid
    assert back.kind == "replay" and back.name == "us-china-2025" and back.variant is None
    assert back.code_version.startswith(__import__("detente").__version__)
    assert "us-china-2025" in back.scenario_text and "events" in back.scenario_text
    assert back.summary["n_solves"] == back.settings["n_solves"]
    # only distinct states are stored: far fewer cells than the dataset holds
    con = duckdb.connect(str(store.path), read_only=True)
    n_stored = con.execute("SELECT count(*) FROM numbers").fetchone()[0]
    con.close()
    assert n_stored < 0.3 * sum(v.size for v in replay_record.dataset.data_vars.values())


def test_synthetic_dtypes_round_trip_exactly(tmp_path):
    rec = synthetic_record()
    store = RunStore(tmp_path / "s.duckdb")
    back = store.load(store.save(rec))
    assert_exact(rec.dataset, back.dataset)
    assert back.dataset["first_seen"].values[0] == np.datetime64("2025-04-02T10:11:12.123456789")
    assert back.dataset["count"].values[0] == 2**62 + 1
    assert np.signbit(back.dataset["welfare_pct"].values[1, 0])
    assert back.dataset.attrs["flags"] == ["a", "b"]
    assert back.settings == rec.settings and back.seed == rec.seed and back.variant == "v1+v2"
    sub = store.load(back.id, variables=["trade"])
    assert list(sub.dataset.data_vars) == ["trade"]
    xr.testing.assert_identical(sub.dataset["trade"], rec.dataset["trade"])
    with pytest.raises(UnknownLabelError, match="nope"):
        store.load(back.id, variables=["nope"])


def test_cells_view_and_sql_access(tmp_path):
    rec = synthetic_record(n_dates=5)
    store = RunStore(tmp_path / "s.duckdb")
    rid = store.save(rec)
    con = duckdb.connect(str(store.path), read_only=True)
    got = con.execute(
        "SELECT date, value FROM cells WHERE run_id = ? AND variable = 'avg_tariff_pct' "
        "AND labels['importer'] = 'CHN' AND labels['exporter'] = 'MEX' ORDER BY date",
        [rid],
    ).fetchall()
    con.close()
    want = rec.dataset["avg_tariff_pct"].sel(importer="CHN", exporter="MEX").values
    assert [v for _, v in got] == want.tolist()
    assert [d.date().isoformat() for d, _ in got] == [str(d)[:10] for d in rec.dataset["date"].values]


def test_store_path_from_environment(tmp_path, monkeypatch):
    assert default_store_path() == tmp_path / "env-store.duckdb"
    store = RunStore()
    assert store.path == tmp_path / "env-store.duckdb"
    assert store.list().empty and not store.path.exists()  # reading creates nothing
    rid = store.save(synthetic_record())
    assert store.path.is_file() and list(store.list()["id"]) == [rid]
    monkeypatch.delenv("DETENTE_STORE")
    assert default_store_path() == tmp_path / "data" / "runs.duckdb"


def test_code_version_without_git(monkeypatch):
    from detente import __version__

    monkeypatch.setenv("PATH", "")
    assert code_version.__wrapped__() == __version__


def test_scenario_text_dumped_when_file_is_gone():
    import yaml

    from detente.policy import apply_variant, load_scenario, parse_scenario
    from detente.store._records import _scenario_text

    sc = load_scenario("us-china-2025")
    assert _scenario_text(sc) == Path(sc.path).read_text(encoding="utf-8")
    assert _scenario_text(apply_variant(sc, "no-geneva")) == Path(sc.path).read_text(encoding="utf-8")
    moved = parse_scenario(Path(sc.path).read_text(encoding="utf-8"), "/nonexistent/us-china-2025.yaml")
    text = _scenario_text(moved)
    assert text.startswith("# scenario") and parse_scenario(text).model_dump() == sc.model_dump()
    assert yaml.safe_load(text)["name"] == "us-china-2025"


# ---------------------------------------------------------------------------- list, delete, errors
def test_list_load_delete_and_unknown_ids(tmp_path):
    store = RunStore(tmp_path / "s.duckdb")
    ids = [store.save(synthetic_record(seed=k, name=f"run{k}")) for k in range(3)]
    df = store.list()
    assert list(df.columns) == [
        "id",
        "kind",
        "name",
        "variant",
        "world",
        "vintage",
        "created_at",
        "code_version",
        "n_dates",
        "status",
    ]
    assert set(df["id"]) == set(ids) and set(df["status"]) == {"complete"} and set(df["n_dates"]) == {6}
    assert store.resolve("latest") in ids
    with pytest.raises(UnknownLabelError) as err:
        store.load("r-19990101-000000")
    msg = str(err.value)
    assert "r-19990101-000000" in msg and all(i in msg for i in ids)
    assert isinstance(err.value, DetenteError)
    assert store.delete(ids[0]) == ids[0]
    assert set(store.list()["id"]) == set(ids[1:])
    assert ids[0] not in json.dumps(row_counts(store.path))
    with pytest.raises(UnknownLabelError, match="no run"):
        store.delete(ids[0])
    with pytest.raises(UnknownLabelError, match="no runs yet"):
        RunStore(tmp_path / "empty.duckdb").load("r-1")


def test_ids_are_kept_when_copying_and_never_reused(tmp_path):
    src, dst = RunStore(tmp_path / "a.duckdb"), RunStore(tmp_path / "b.duckdb")
    rid = src.save(synthetic_record())
    rec = src.load(rid)
    assert dst.save(rec) == rid
    with pytest.raises(StoreError, match="already"):
        dst.save(rec)
    assert_exact(dst.load(rid).dataset, rec.dataset)


def test_not_a_database_and_unstorable_values(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("this is not a database\n" * 200)
    with pytest.raises(StoreError, match="bad.duckdb"):
        RunStore(bad).save(synthetic_record())
    rec = synthetic_record()
    objs = rec.dataset.assign(obj=(("country",), np.array([{}, 1, "x"], dtype=object)))
    with pytest.raises(StoreError, match="obj"):
        RunStore(tmp_path / "s.duckdb").save(dataclasses.replace(rec, dataset=objs))
    with pytest.raises(StoreError, match="xarray"):
        RunStore(tmp_path / "s.duckdb").save(dataclasses.replace(rec, dataset={"a": 1}))


def test_busy_store_is_reported(tmp_path):
    """Another process writing the file: a save goes to a pending file (never fails), a read
    that cannot open the file says so without the holder's PID, and the pending run is
    merged once the writer has gone."""
    from detente.store._store import StoreBusy

    path = tmp_path / "s.duckdb"
    first = RunStore(path).save(synthetic_record())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(path)!r})
        print("locked", flush=True)
        time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        second = RunStore(path, timeout=0.3).save(synthetic_record(seed=1))
        assert (tmp_path / "s.duckdb.pending" / f"{second}.duckdb").is_file()
        with pytest.raises(StoreBusy, match="cannot open") as err:
            RunStore(path, timeout=0.3).list()
        assert "PID" not in str(err.value) and str(holder.pid) not in str(err.value)
    finally:
        holder.kill()
        holder.wait()
    assert set(RunStore(path).list()["id"]) == {first, second}
    assert not list((tmp_path / "s.duckdb.pending").iterdir())  # merged into the store file
    assert row_counts(path)["runs"] == {first: 1, second: 1}


# ---------------------------------------------------------------------------- atomicity
def test_exception_mid_save_leaves_the_store_consistent(tmp_path):
    store = RunStore(tmp_path / "s.duckdb")
    keep = store.save(synthetic_record(seed=1))
    before = row_counts(store.path)
    calls = []

    def fail_halfway(done, total):
        calls.append((done, total))
        if done >= total // 2:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        store.save(synthetic_record(n_dates=40, seed=2, big=True), progress=fail_halfway)
    assert len(calls) == 1 and 0 < calls[0][0] < calls[0][1]  # stopped with rows written, not all
    assert row_counts(store.path) == before
    assert list(store.list()["id"]) == [keep]
    assert_exact(store.load(keep).dataset, synthetic_record(seed=1).dataset)
    later = store.save(synthetic_record(seed=3))
    assert set(store.list()["id"]) == {keep, later}


_KILLER = """
import os, sys
sys.path.insert(0, {tests!r})
from test_store import synthetic_record
from detente.store import RunStore

def die(done, total):
    if done >= total // 2:
        os._exit(17)  # no cleanup, no rollback, no close: like a crash or a kill -9

RunStore({path!r}).save(synthetic_record(n_dates=60, seed=5, big=True), progress=die)
"""


def test_process_killed_mid_save_leaves_the_store_consistent(tmp_path):
    path = tmp_path / "s.duckdb"
    store = RunStore(path)
    keep = store.save(synthetic_record(seed=1))
    before = row_counts(path)
    code = _KILLER.format(tests=str(Path(__file__).parent), path=str(path))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 17, r.stderr
    assert row_counts(path) == before  # the database opens and holds nothing of the dead save
    assert list(store.list()["id"]) == [keep]
    assert_exact(store.load(keep).dataset, synthetic_record(seed=1).dataset)
    later = store.save(synthetic_record(seed=3, big=True))
    assert_exact(store.load(later).dataset, synthetic_record(seed=3, big=True).dataset)
    con = duckdb.connect(str(path))
    assert con.execute("SELECT count(*) FROM runs WHERE status <> 'complete'").fetchone()[0] == 0
    con.close()


# ---------------------------------------------------------------------------- compare & export
def test_compare_whatif_with_replay(tmp_path, replay_record):
    from detente.equilibrium import Counterfactual, solve
    from detente.world import load_world

    world = load_world("default")
    cf = Counterfactual.from_world(world).tariff("USA", "CHN", "goods", 145).tariff("CHN", "USA", "goods", 125)
    wi = record_from_equilibrium(solve(world, cf), "April 2025 peak")
    assert wi.kind == "whatif" and wi.name == "April 2025 peak" and "avg_tariff_pct" in wi.dataset
    store = RunStore(tmp_path / "s.duckdb")
    a, b = store.save(wi), store.save(replay_record)
    assert_exact(store.load(a).dataset, wi.dataset)
    df = store.compare(a, b)
    assert list(df.columns) == ["variable", "date", "country", "partner", "a", "b", "diff"]
    assert df.attrs["a"] == a and df.attrs["b"] == b
    assert set(df["variable"]) == {"welfare_pct", "real_wage_pct", "cpi_pct", "avg_tariff_pct"}
    n_dates = replay_record.dataset.sizes["date"]
    assert len(df) == n_dates * (3 * 20 + 20 * 20)  # the what-if is repeated on every date
    day = replay_record.dataset["date"].values[10]
    row = df[(df["variable"] == "welfare_pct") & (df["country"] == "CHN") & (df["date"] == day)].iloc[0]
    assert row["a"] == wi.dataset["welfare_pct"].sel(country="CHN").item()
    assert row["b"] == replay_record.dataset["welfare_pct"].sel(country="CHN", date=day).item()
    assert row["diff"] == row["b"] - row["a"]
    same = store.compare(b, b)
    assert (same["diff"].dropna() == 0).all()


def test_export_parquet_and_csv_read_back(tmp_path):
    rec = synthetic_record()
    store = RunStore(tmp_path / "s.duckdb")
    rid = store.save(rec)
    files = store.export(rid, tmp_path / "pq")
    names = {p.name for p in files}
    assert "meta.json" in names and "trade.parquet" in names and "state.parquet" in names
    meta = json.loads((tmp_path / "pq" / "meta.json").read_text())
    assert (
        meta["id"] == rid
        and meta["vintage"] == "test vintage"
        and meta["variables"]["trade"]["file"] == "trade.parquet"
    )
    con = duckdb.connect()
    got = con.execute(
        f"SELECT importer, exporter, sector, date, value FROM '{tmp_path / 'pq' / 'trade.parquet'}' ORDER BY ALL"
    ).fetchall()
    want = rec.dataset["trade"].to_series().sort_index()
    assert len(got) == want.size
    lookup = {(i, e, s, str(d)[:10]): v for (i, e, s, d), v in want.items()}
    assert all(lookup[(i, e, s, d.isoformat())] == v for i, e, s, d, v in got)
    types = dict(
        con.execute(f"DESCRIBE SELECT * FROM '{tmp_path / 'pq' / 'trade.parquet'}'").fetchall()[k][:2] for k in range(5)
    )
    assert types["date"] == "DATE" and types["value"] == "DOUBLE"
    w = con.execute(
        f"SELECT value FROM '{tmp_path / 'pq' / 'welfare_pct.parquet'}' WHERE country = 'USA' ORDER BY date"
    ).fetchall()
    assert w[0][0] is None  # NaN is written as NULL
    store.export(rid, tmp_path / "csv", format="csv")
    rows = con.execute(f"SELECT * FROM read_csv('{tmp_path / 'csv' / 'avg_tariff_pct.csv'}')").fetchall()
    assert len(rows) == rec.dataset["avg_tariff_pct"].size
    back = {(r[0], r[2]): r[3] for r in rows if str(r[1]) == "2025-01-08"}
    assert back[("CHN", "USA")] == rec.dataset["avg_tariff_pct"].sel(importer="CHN", exporter="USA").values[1]
    con.close()
    with pytest.raises(StoreError, match="format"):
        store.export(rid, tmp_path / "x", format="xls")


def test_export_xlsx_reads_back(tmp_path):
    """An Excel workbook: a sheet per variable in the long format, a meta sheet."""
    pytest.importorskip("openpyxl")
    import pandas as pd

    rec = synthetic_record()
    store = RunStore(tmp_path / "s.duckdb")
    rid = store.save(rec)
    book, meta = store.export(rid, tmp_path / "xl", format="xlsx")
    assert book.suffix == ".xlsx" and meta.name == "meta.json"
    sheets = pd.read_excel(book, sheet_name=None)
    assert {"meta", "trade", "avg_tariff_pct"} <= set(sheets)
    trade = sheets["trade"]
    want = rec.dataset["trade"].to_series()
    assert len(trade) == want.size
    got = {(r.importer, r.exporter, r.sector, str(r.date)[:10]): r.value for r in trade.itertuples()}
    assert all(np.isclose(got[(i, e, s, str(d)[:10])], v) for (i, e, s, d), v in want.items())
    fields = dict(zip(sheets["meta"]["field"], sheets["meta"]["value"]))
    assert fields["id"] == rid and fields["vintage"] == "test vintage"


# ---------------------------------------------------------------------------- command line
def run_cli(*argv: str) -> int:
    from detente.cli.runs import register

    parser = argparse.ArgumentParser(prog="detente")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_cli_list_show_compare_export_delete(tmp_path, capsys, monkeypatch):
    path = str(tmp_path / "cli.duckdb")
    assert run_cli("runs", "list", "--store", path) == 0
    assert "no runs" in capsys.readouterr().out
    store = RunStore(path)
    a = store.save(synthetic_record(seed=1, name="first"))
    b = store.save(synthetic_record(seed=2, name="second"))
    assert run_cli("runs", "list", "--store", path) == 0
    out = capsys.readouterr().out
    assert a in out and b in out
    assert run_cli("runs", "show", a, "--store", path, "--scenario") == 0
    out = capsys.readouterr().out
    assert "test vintage" in out and "trade" in out and "name: synthetic" in out
    assert (
        run_cli(
            "runs",
            "compare",
            a,
            b,
            "--store",
            path,
            "--countries",
            "USA,CHN",
            "--date",
            "2025-01-10",
            "--out",
            str(tmp_path / "cmp.csv"),
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "2025-01-08" in out and "USA" in out and (tmp_path / "cmp.csv").is_file()
    monkeypatch.chdir(tmp_path)
    assert run_cli("runs", "export", "latest", "--store", path) == 0
    assert (tmp_path / store.resolve("latest") / "meta.json").is_file()
    assert run_cli("runs", "export", a, "--store", path, "--format", "csv", "--out", str(tmp_path / "c")) == 0
    assert (tmp_path / "c" / "trade.csv").is_file()
    capsys.readouterr()
    assert run_cli("runs", "delete", a, "--store", path) == 0
    assert a in capsys.readouterr().out and list(store.list()["id"]) == [b]
    with pytest.raises(UnknownLabelError, match=a):
        run_cli("runs", "show", a, "--store", path)
    with pytest.raises(DetenteError, match="--countries"):
        run_cli("runs", "compare", b, b, "--store", path, "--countries", "XXX")


# ---------------------------------------------------------------------------- property
def test_any_float_array_round_trips_bit_for_bit(tmp_path_factory):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    store = RunStore(tmp_path_factory.mktemp("prop") / "p.duckdb")
    shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        data=st.data(),
        dtype=st.sampled_from([np.float64, np.float32]),
        dated=st.booleans(),
        date_axis=st.integers(0, 3),
    )
    def check(data, dtype, dated, date_axis):
        shape = data.draw(shapes)
        a = data.draw(hnp.arrays(dtype, shape, elements=hnp.from_dtype(np.dtype(dtype), allow_subnormal=True)))
        dims = [f"d{k}" for k in range(a.ndim)]
        coords = {}
        if dated:
            k = min(date_axis, a.ndim - 1)
            dims[k] = "date"
            a = np.concatenate([a, np.take(a, [0], axis=k)], axis=k)  # a repeated state
            coords["date"] = np.arange(a.shape[k]).astype("datetime64[D]")
        ds = xr.Dataset({"x": (tuple(dims), a)}, coords=coords)
        rec = dataclasses.replace(synthetic_record(), dataset=ds)
        assert_exact(store.load(store.save(rec)).dataset, ds)

    check()
