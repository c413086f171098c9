"""Shared fixtures: the location of ../shared/data and small consistent worlds."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True, scope="session")
def _private_results_store(tmp_path_factory):
    """Runs saved by commands under test go to a temporary store, never the user's."""
    import os

    old = os.environ.get("DETENTE_STORE")
    os.environ["DETENTE_STORE"] = str(tmp_path_factory.mktemp("store") / "runs.duckdb")
    yield
    if old is None:
        os.environ.pop("DETENTE_STORE", None)
    else:
        os.environ["DETENTE_STORE"] = old


@pytest.fixture(scope="session")
def cp2015_dir() -> Path:
    d = SHARED_DATA / "cp2015"
    if not (d / "xbilat1993.txt").is_file():
        pytest.skip(f"Caliendo-Parro data not found at {d} (the ../shared/data folder is absent)")
    return d


@pytest.fixture
def world_file(tmp_path):
    """A tiny random world saved as a world file (4 countries, 3 sectors, S02 a service)."""
    from detente.world import WorldMeta, random_world, save_world

    w = random_world(4, 3, seed=5)
    w = w.replace(meta=WorldMeta(name="tiny", vintage="synthetic test world", units="USD million", services=("S02",)))
    return save_world(w, tmp_path / "tiny.nc")


@pytest.fixture(scope="session")
def gravity_sample() -> Path:
    f = SHARED_DATA / "gravity_sample" / "sample_data_set.csv"
    if not f.is_file():
        pytest.skip(f"gegravity's sample data not found at {f} (the ../shared/data folder is absent)")
    return f


@pytest.fixture(scope="session")
def cp2015_zero_deficit(cp2015_dir):
    """The CP 1993 world re-solved to zero deficits, as the paper's Table 2 baseline."""
    from detente.equilibrium import Counterfactual, solve
    from detente.world import load_cp2015

    w = load_cp2015(cp2015_dir)
    return solve(w, Counterfactual.from_world(w, deficits="zero")).to_world("cp2015-zero-deficit")


@pytest.fixture
def small_world():
    from detente.world import random_world

    return random_world(4, 3, seed=11, zero_flow_prob=0.1)
