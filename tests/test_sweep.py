"""Sweeps (detente.sweep): the sweep file, serial and Dask executors, lost workers, bands.

The Dask tests start a real cluster through dask's command-line tools (a scheduler and
two single-threaded workers on 127.0.0.1, free ports), use it, and tear it down.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.errors import DetenteError
from detente.sweep import (
    SerialExecutor,
    SweepError,
    bands,
    draw_theta,
    expand,
    load_sweep,
    parse_sweep,
    quantiles,
    run_sweep,
    shipped_sweeps,
    sweep_bands,
)

DRAWS = {
    "name": "test-draws",
    "whatif": {"preset": "geneva-2025"},
    "grid": {"horizons": ["1y", "3y"]},
    "draws": {"n": 9, "seed": 11},
    "outputs": {"countries": ["USA", "CHN", "MEX"]},
    "chunk_size": 3,
}


def _spec(**over):
    doc = {**DRAWS, **over}
    return parse_sweep(doc)


@pytest.fixture(scope="module")
def serial_draws(tmp_path_factory):
    return run_sweep(_spec(), "serial", out=tmp_path_factory.mktemp("serial"))


# ------------------------------------------------------------------ the sweep file
def test_shipped_examples_validate_and_expand():
    files = shipped_sweeps()
    assert {"geneva-elasticity-bands", "us-china-tariff-grid"} <= set(files)
    gen = load_sweep("geneva-elasticity-bands")
    assert gen.whatif.changes() == ["USA<-CHN:goods:+30", "CHN<-USA:goods:+10"]
    assert len(expand(gen)) == gen.draws.n * len(gen.grid.horizons)
    grid = load_sweep("us-china-tariff-grid")
    tasks = expand(grid)
    assert len(tasks) == 7 * 6 * 2 and len({t["key"] for t in tasks}) == len(tasks)
    assert all(t["theta"] is None for t in tasks)


@pytest.mark.parametrize(
    "doc, field",
    [
        ({"draws": {"n": "many"}}, "draws.n"),
        ({"draws": {"n": 3, "sed": 1}}, "draws.sed"),
        ({"whatif": {"tariffs": ["USA->CHN:goods:+10"]}}, "whatif.tariffs.0"),
        ({"grid": {"tariffs": [{"target": "USA<-CHN:goods", "values": []}]}}, "grid.tariffs.0.values"),
        ({"grid": {"elasticities": ["nope"]}}, "grid.elasticities.0"),
        ({"grid": {"horizons": ["forever"]}}, "grid.horizons.0"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"whatif": {"preset": "geneva-2052"}}, "whatif.preset"),
    ],
)
def test_malformed_sweep_file_names_the_field(tmp_path, doc, field):
    import yaml

    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump({**DRAWS, **doc}))
    with pytest.raises(SweepError) as exc:
        load_sweep(f)
    msg = str(exc.value)
    assert f"field '{field}'" in msg and str(f) in msg, msg


def test_malformed_sweep_file_other_errors(tmp_path):
    with pytest.raises(SweepError, match="exactly one of 'whatif' and 'replay'"):
        parse_sweep({"name": "x"})
    with pytest.raises(SweepError, match="not valid YAML"):
        parse_sweep("name: [unclosed")
    with pytest.raises(SweepError, match="does not exist"):
        load_sweep(tmp_path / "missing.yaml")
    assert issubclass(SweepError, DetenteError)


# ------------------------------------------------------------------ serial runs
def test_serial_sweep_results_and_resume(serial_draws, tmp_path):
    res = serial_draws
    assert res.n_tasks == res.n_done == 18 and res.n_failed == 0 and res.n_chunks == 6
    f = res.frame
    assert len(f) == 18 * 3 and not f.duplicated(["key", "country", "date"]).any()
    assert pd.read_parquet(res.path).equals(f)
    assert len(list((res.out / "chunks").glob("*.parquet"))) == 6
    # the drawn elasticities change the answer; the draws are centred on the point estimate
    usa = f[(f.country == "USA") & (f.horizon == "1y")]["welfare_pct"]
    assert usa.std() > 0
    # a rerun in the same directory reuses every chunk file and gives the same table
    again = run_sweep(_spec(), "serial", out=res.out)
    assert again.n_reused == 6
    pd.testing.assert_frame_equal(again.frame, f, check_exact=True)


def test_tariff_grid_matches_direct_solves(tmp_path):
    from detente.equilibrium import Counterfactual, solve
    from detente.world import load_world

    spec = parse_sweep(
        {
            "name": "g",
            "whatif": {"tariffs": ["CHN<-USA:goods:+10"]},
            "grid": {"tariffs": [{"target": "USA<-CHN:goods", "values": [0, 50]}]},
            "outputs": {"countries": ["USA", "CHN"]},
        }
    )
    res = run_sweep(spec, out=tmp_path)
    assert res.n_tasks == 2
    w = load_world("default")
    eq = solve(w, Counterfactual.from_world(w).tariff("CHN", "USA", "goods", 10).tariff("USA", "CHN", "goods", 50))
    row = res.frame[(res.frame["axes"].str.contains("50.0")) & (res.frame.country == "USA")].iloc[0]
    assert row.welfare_pct == pytest.approx(100 * (eq.welfare_hat[0] - 1), abs=1e-8)


def test_failed_draws_are_reported_never_counted(tmp_path):
    res = run_sweep(_spec(max_iter=2, grid={"horizons": ["1y"]}, draws={"n": 4, "seed": 1}), out=tmp_path)
    assert res.n_done == 4 and res.n_failed == 4
    b = res.bands()
    assert b.table.empty and b.n_failed == 4
    assert b.failed["reason"].str.contains("converge").all()
    # a mixed table: the failed draw is out of the percentiles and counted in n_failed
    f = pd.DataFrame(
        {
            "key": list("abcd"),
            "seed": 0,
            "draw": range(4),
            "grid_point": 0,
            "country": "USA",
            "date": "",
            "converged": [True, True, True, False],
            "reason": ["", "", "", "no"],
            "welfare_pct": [1.0, 2.0, 3.0, np.nan],
        }
    )
    b = bands(f, 0.5)
    row = b.table.iloc[0]
    assert row["n"] == 3 and row["n_failed"] == 1 and row["median"] == 2.0 and list(b.failed.key) == ["d"]


def test_replay_sweep_over_horizons(tmp_path):
    spec = parse_sweep(
        {
            "name": "r",
            "replay": {"scenario": "us-china-2025"},
            "grid": {"horizons": ["1y", "long"]},
            "outputs": {"countries": ["USA", "CHN"]},
        }
    )
    res = run_sweep(spec, out=tmp_path)
    assert res.n_tasks == 2 and res.n_failed == 0
    f = res.frame
    assert set(f.horizon) == {"1y", "long"} and (f.date != "").all()
    a, b = (f[(f.country == "CHN") & (f.horizon == h)].welfare_pct.iloc[0] for h in ("1y", "long"))
    assert a != b


def test_replay_sweep_over_approval_shares(tmp_path):
    """grid.approval_shares sets every non-ban licence's approval share: on the magnet
    licences of May 2025, more approvals cost the US less; draws.approval draws it."""
    spec = parse_sweep(
        {
            "name": "a",
            "replay": {"scenario": "rare-earth-magnets-2025", "dates": ["2025-05-12"]},
            "grid": {"approval_shares": [0.1, 0.5, 0.9]},
            "outputs": {"countries": ["USA"]},
        }
    )
    res = run_sweep(spec, out=tmp_path / "grid")
    assert res.n_tasks == 3 and res.n_failed == 0
    f = res.frame.assign(share=lambda d: d["axes"].map(lambda a: json.loads(a)["approval_share"])).sort_values("share")
    w = f.welfare_pct.to_numpy()
    assert w[0] < w[1] < w[2] < 0  # US losses shrink as approvals rise
    drawn = parse_sweep(
        {
            "name": "d",
            "replay": {"scenario": "rare-earth-magnets-2025", "dates": ["2025-05-12"]},
            "draws": {"n": 2, "elasticities": False, "approval": {"low": 0.2, "high": 0.8}},
            "outputs": {"countries": ["USA"]},
        }
    )
    shares = [t["approval_share"] for t in expand(drawn)]
    assert len(set(shares)) == 2 and all(0.2 <= x <= 0.8 for x in shares)
    with pytest.raises(SweepError, match="replays only"):
        parse_sweep({"name": "x", "whatif": {"preset": "april-2025-peak"}, "grid": {"approval_shares": [0.5]}})


def test_shortage_sweep_over_inventories(tmp_path):
    """replay.model: shortage runs the weekly model of the scenario's licences; more
    inventory cover, less value added lost; the inventory axes belong to shortage sweeps."""
    spec = parse_sweep(
        {
            "name": "inv",
            "replay": {"scenario": "rare-earth-magnets-2025", "model": "shortage"},
            "grid": {"inventory_scales": [0.5, 1.0, 2.0]},
            "outputs": {"headlines": ["va_lost_pct_gdp"], "countries": ["USA", "DEU"]},
        }
    )
    res = run_sweep(spec, out=tmp_path / "inv")
    assert res.n_tasks == 3 and res.n_failed == 0
    f = res.frame[res.frame.country == "DEU"].copy()
    f["scale"] = f["axes"].map(lambda a: json.loads(a)["inventory_scale"])
    lost = f.sort_values("scale").va_lost_pct_gdp.to_numpy()
    assert lost[0] > lost[1] > lost[2] >= 0
    drawn = parse_sweep(
        {
            "name": "d",
            "replay": {"scenario": "rare-earth-magnets-2025", "model": "shortage"},
            "draws": {"n": 3, "elasticities": False, "inventory": {"low": 0.5, "high": 2.0}},
            "outputs": {"headlines": ["va_lost_pct_gdp"]},
        }
    )
    scales = [t["inventory_scale"] for t in expand(drawn)]
    assert len(set(scales)) == 3 and all(0.5 <= x <= 2.0 for x in scales)
    with pytest.raises(SweepError, match="shortage replays only"):
        parse_sweep({"name": "x", "replay": {"scenario": "us-china-2025"}, "grid": {"inventory_scales": [1.0]}})
    with pytest.raises(SweepError, match="va_lost_pct_gdp"):
        parse_sweep({"name": "x", "replay": {"scenario": "rare-earth-magnets-2025", "model": "shortage"}})


# ------------------------------------------------------------------ bands
def test_same_seed_same_bands_and_chunking_does_not_matter(tmp_path):
    spec = _spec(grid={"horizons": ["1y"]}, draws={"n": 12, "seed": 5})
    b1 = sweep_bands(spec, seed=7, out=tmp_path / "a")
    b2 = sweep_bands(spec.model_copy(update={"chunk_size": 5}), seed=7, out=tmp_path / "b")
    pd.testing.assert_frame_equal(b1.table, b2.table, check_exact=True)
    assert b1.seeds == (7,)
    b3 = sweep_bands(spec, seed=8, out=tmp_path / "c")
    assert not np.allclose(b1.table["median"], b3.table["median"])


def test_band_coverage_on_a_known_distribution():
    # toy: N(2, 3^2) draws; the 90% band from 200 draws should contain 90% of the distribution
    from scipy.stats import norm

    rng = np.random.default_rng(0)
    covered = []
    for _ in range(300):
        x = rng.normal(2.0, 3.0, 200)
        f = pd.DataFrame(
            {
                "key": np.arange(200).astype(str),
                "seed": 0,
                "draw": np.arange(200),
                "grid_point": 0,
                "country": "T",
                "date": "",
                "converged": True,
                "reason": "",
                "welfare_pct": x,
            }
        )
        row = bands(f, 0.9).table.iloc[0]
        covered.append(norm.cdf(row.upper, 2, 3) - norm.cdf(row.lower, 2, 3))
    assert np.mean(covered) == pytest.approx(0.9, abs=0.01)
    # the elasticity draws: log-normal with the registry's mean and s.d.; 90% band = its quantiles
    from scipy.stats import lognorm

    mean, sd = np.array([4.0]), np.array([1.0])
    draws = np.array(
        [draw_theta(mean, sd, np.random.default_rng(np.random.SeedSequence([3, k])))[0] for k in range(20000)]
    )
    s = np.sqrt(np.log1p((sd / mean) ** 2))[0]
    dist = lognorm(s, scale=mean[0] * np.exp(-s * s / 2))
    lo, _, hi = quantiles(draws, 0.9)
    assert dist.cdf(hi) - dist.cdf(lo) == pytest.approx(0.9, abs=0.01)
    assert draws.mean() == pytest.approx(4.0, rel=0.01) and draws.std() == pytest.approx(1.0, rel=0.03)
    assert (draws > 0).all()


def test_elasticity_draws_use_published_se_else_relative_band():
    from detente.sweep import theta_mean_sd
    from detente.world import load_world

    w = load_world("default")
    mean, sd, published = theta_mean_sd("default", "default", "1y", 0.25)
    assert np.allclose(mean, w.theta, rtol=1e-9)
    assert any(published) and not all(published)
    for _m, s, p in zip(mean, sd, published):
        if not p:  # services: no published s.e. -> at least part of it is the relative band
            assert s > 0
    m2, s2, p2 = theta_mean_sd("default", "blp2023", "1y", 0.1)
    assert not any(p2) and np.allclose(np.array(s2), 0.1 * np.array(m2))


# ------------------------------------------------------------------ the CLI entry point
def test_cli_register_json(tmp_path, capsys):
    import json

    from detente.cli.sweep import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    f = tmp_path / "s.yaml"
    import yaml

    f.write_text(yaml.safe_dump({**DRAWS, "draws": {"n": 2, "seed": 1}, "grid": {"horizons": ["1y"]}}))
    args = parser.parse_args(["sweep", str(f), "--json", "--out", str(tmp_path / "o"), "--save"])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n_tasks"] == out["n_done"] == 2 and out["run_id"] and len(out["bands"]) == 9
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nwhatif: {}\ndraws: {n: -1}\n")
    args = parser.parse_args(["sweep", str(bad)])
    with pytest.raises(SweepError, match="field 'draws.n'"):
        args.func(args)


# ------------------------------------------------------------------ a real Dask cluster
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_cli() -> list[str]:
    exe = Path(sys.executable).with_name("dask")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("dask")
    if not found:
        pytest.skip("dask's command-line tool is not installed")
    return [found]


class _Cluster:
    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.procs.append(
            self._start(["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"], "scheduler")
        )
        for k in range(2):
            self.start_worker(k)

    def _start(self, args, name) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        return subprocess.Popen(
            [*_dask_cli(), *args], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.tmp, start_new_session=True
        )

    def start_worker(self, k: int) -> None:
        p = self._start(
            [
                "worker",
                self.address,
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--death-timeout",
                "60",
                "--name",
                f"w{k}",
            ],
            f"worker{k}",
        )
        self.procs.append(p)
        self.workers.append(p)

    def wait(self, n: int, timeout: float = 60) -> None:
        from distributed import Client

        with Client(self.address, timeout=timeout) as c:
            c.wait_for_workers(n, timeout=timeout)

    def kill(self, p: subprocess.Popen) -> None:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)

    def close(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    pytest.importorskip("distributed")
    c = _Cluster(tmp_path_factory.mktemp("dask"))
    try:
        c.wait(2, timeout=60)
        yield c
    finally:
        c.close()


@pytest.mark.slow
def test_dask_cluster_matches_serial(cluster, serial_draws, tmp_path, monkeypatch):
    monkeypatch.setenv("DETENTE_DASK_SCHEDULER", cluster.address)
    res = run_sweep(_spec(), out=tmp_path)  # no executor: the scheduler from the environment
    assert res.executor["executor"] == "dask" and res.executor["workers"] == 2
    assert res.n_tasks == res.n_done == serial_draws.n_tasks
    pd.testing.assert_frame_equal(res.frame, serial_draws.frame, check_exact=True)


@pytest.mark.slow
def test_worker_killed_mid_sweep(cluster, tmp_path):
    spec = _spec(draws={"n": 15, "seed": 3}, chunk_size=2, grid={"horizons": ["1y", "3y"]})
    reference = run_sweep(spec, SerialExecutor(), out=tmp_path / "serial")
    killed = []

    def on_chunk(done, total, chunk):
        # kill a worker that holds a chunk, at the first finished chunk where one does (on a
        # loaded 2-core machine the remaining chunks can all be finished or still queued at
        # any one callback; the assertion below still requires a kill of a busy worker)
        if killed or done >= total:
            return
        from distributed import Client

        with Client(cluster.address, timeout=10) as c:
            busy = {a: ks for a, ks in c.processing().items() if ks}
            if not busy:
                return
            addr = max(busy, key=lambda a: len(busy[a]))
            name = c.scheduler_info()["workers"][addr]["name"]
        cluster.kill(cluster.workers[int(str(name)[1:])])
        killed.append(busy[addr])

    res = run_sweep(spec, scheduler=cluster.address, out=tmp_path / "dask", on_chunk=on_chunk)
    assert killed and killed[0], "the killed worker held no chunk"
    assert res.n_tasks == res.n_done == 30 and res.n_failed == 0
    f = res.frame
    assert not f.duplicated(["key", "country", "date"]).any()
    assert set(f.key) == {t["key"] for t in expand(spec)}
    assert len(list((tmp_path / "dask" / "chunks").glob("*.parquet"))) == res.n_chunks
    pd.testing.assert_frame_equal(f, reference.frame, check_exact=True)
