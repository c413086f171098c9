"""Solving a counterfactual and the labelled :class:`Equilibrium` it returns."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from functools import cached_property

import numpy as np

from detente.equilibrium._closure import DESCRIPTIONS
from detente.equilibrium._counterfactual import Counterfactual
from detente.equilibrium._kernel import Shock, Solution, solve_hat
from detente.equilibrium._welfare import decompose
from detente.errors import ConvergenceError, DataError, ShockError
from detente.world import World, WorldMeta
from detente.world._households import households, usd_per_unit


@dataclasses.dataclass(frozen=True)
class Diagnostics:
    """How the solve went: map evaluations, residuals of each equilibrium condition."""

    iterations: int
    fixed_point_residual: float
    residuals: dict
    restarts: int
    seconds: float
    converged: bool
    tolerance: float

    def __str__(self) -> str:
        worst = max(self.residuals.values())
        return (
            f"{'converged' if self.converged else 'NOT converged'} in {self.iterations} "
            f"iterations, {self.seconds:.3f} s; largest equilibrium residual {worst:.1e} "
            f"(tolerance {self.tolerance:.0e})"
        )


def solve(
    world: World,
    counterfactual: Counterfactual | None = None,
    *,
    tol: float = 1e-12,
    check_tol: float = 1e-8,
    max_iter: int = 3000,
) -> Equilibrium:
    """Solve the static general equilibrium of ``world`` under ``counterfactual``.

    Parameters
    ----------
    world : World
        The baseline (N countries, J sectors; values in ``world.meta.units``).
    counterfactual : Counterfactual, optional
        New tariffs (pp changes applied with ``tariff``), iceberg factors, export taxes,
        licences and critical-input cuts, and the deficit closure; default: no change.
    tol, check_tol, max_iter
        As in :func:`detente.equilibrium.solve_hat`.

    Returns
    -------
    Equilibrium
        Labelled changes: ``welfare_hat`` (N,) real income, ``real_value_added_hat`` (N,)
        real GDP, ``country_table()`` in %, ``trade_flows`` (N, N, J) in world units, the
        diagnostics and the provenance.

    The counterfactual's ``closure`` decides the deficits (docs/model.md, section 4).
    Under ``"balanced"`` the world is first purged of deficits (:func:`purged_world`,
    cached per world) and the returned :class:`Equilibrium` is relative to the purged
    world: ``eq.world`` is the purged world, ``eq.purge`` the purge itself (changes
    from ``world`` to the purged world) and the provenance says so.

    Raises :class:`~detente.errors.ConvergenceError` (with the diagnostics attached)
    rather than return an unconverged answer.
    """
    cf = counterfactual if counterfactual is not None else Counterfactual.from_world(world)
    if cf.world is not world:
        if cf.world.countries != world.countries or cf.world.sectors != world.sectors:
            raise ShockError(
                f"the counterfactual was made for a different world ({cf.world.meta.name!r}, not {world.meta.name!r})"
            )
    check_inputs(world, cf)
    if cf.closure == "balanced":
        purge, balanced = _purge(world, tol=tol, check_tol=check_tol, max_iter=max_iter)
        cf_b = dataclasses.replace(cf, world=balanced, deficits=np.zeros(world.n_countries))
        eq = _solve(balanced, cf_b, tol, check_tol, max_iter)
        return dataclasses.replace(eq, purge=purge)
    return _solve(world, cf, tol, check_tol, max_iter)


#: the trade elasticities the solver accepts (published estimates lie in about 0.1-70)
THETA_RANGE = (1e-2, 1e3)


def check_inputs(world: World, cf: Counterfactual) -> None:
    """The solver's contract, checked before iterating (docs/model.md, section 11).

    Refuses, with the field and value named: trade elasticities outside
    :data:`THETA_RANGE`; a country with no value added or no final spending (its welfare
    is undefined); deficits that leave a country with non-positive spending at baseline
    wages (D' <= -VA: spending would have to be negative); tariff or iceberg factors so
    large that ``kappa^-theta`` underflows for a whole market (nothing could be bought).
    """
    th = np.asarray(world.theta)
    lo, hi = THETA_RANGE
    if (th < lo).any() or (th > hi).any() or not np.isfinite(th).all():
        j = int(np.argmax((th < lo) | (th > hi) | ~np.isfinite(th)))
        raise ShockError(
            f"theta of sector {world.sectors[j]!r} is {th[j]:.6g}: the solver accepts trade "
            f"elasticities in [{lo:g}, {hi:g}]"
        )
    va = np.asarray(world.value_added)
    if (va <= 0).any():
        n = int(np.argmax(va <= 0))
        raise ShockError(
            f"{world.countries[n]} has no value added ({va[n]:.6g}): its welfare is undefined; drop or merge it"
        )
    inc = np.asarray(world.income)
    if (inc <= 0).any():
        n = int(np.argmax(inc <= 0))
        raise ShockError(f"{world.countries[n]} has no final spending ({inc[n]:.6g} in the baseline)")
    if cf.closure == "fixed-deficits":
        spend = va + np.asarray(cf.deficits)
        if (spend <= 0).any():
            n = int(np.argmax(spend <= 0))
            raise ShockError(
                f"deficit of {world.countries[n]} is {cf.deficits[n]:.6g} against value added "
                f"{va[n]:.6g}: final spending would be negative; a deficit must exceed "
                "-value added"
            )
    assert cf.export_taxes is not None  # Counterfactual.__post_init__ always sets the array
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        lk = np.log((1.0 + cf.tariffs) / (1.0 + world.tariffs) * cf.iceberg * (1.0 + cf.export_taxes))
        # log of the price-index term sum_i pi kappa^-theta of each market (n, j), at baseline costs
        from scipy.special import logsumexp

        ls = logsumexp(np.log(np.asarray(world.trade_shares)) - th[None, None, :] * lk, axis=1)
    dead = (ls < -600) & (np.asarray(world.expenditure) > 0)
    if dead.any():
        n, j = (int(x) for x in np.argwhere(dead)[0])
        raise ShockError(
            f"the trade costs of {world.countries[n]} rise so much in {world.sectors[j]} that "
            "nothing could be bought there at baseline costs (every supplier's flow underflows "
            "to zero); use a smaller change"
        )


def _check_solution(world: World, cf: Counterfactual, sol) -> None:
    """An answer must be meaningful as well as converged: spending and income positive."""
    if (sol.X < -1e-9 * max(float(np.abs(sol.X).max()), 1.0)).any():
        n, j = (int(x) for x in np.unravel_index(int(np.argmin(sol.X)), sol.X.shape))
        raise ShockError(
            f"the equilibrium has negative spending of {world.countries[n]} on "
            f"{world.sectors[j]} ({sol.X[n, j]:.6g}): the deficits are too large for this "
            "world; use smaller deficits or another closure"
        )
    if (sol.I <= 0).any() or not np.isfinite(sol.I).all():
        n = int(np.argmin(np.where(np.isfinite(sol.I), sol.I, -np.inf)))
        raise ShockError(
            f"the equilibrium leaves {world.countries[n]} with income {sol.I[n]:.6g}: no "
            "meaningful welfare; use smaller deficits or another closure"
        )


# The purge of each world (the "balanced" closure), cached per world object. A small
# bounded cache keyed by identity: the cached equilibrium refers to its world, so a
# weak-key mapping would never release it.
_PURGES: OrderedDict[int, tuple[World, Equilibrium, World]] = OrderedDict()
_PURGE_LOCK = threading.Lock()
_PURGE_CACHE_SIZE = 16


def _purge(
    world: World, *, tol: float = 1e-12, check_tol: float = 1e-8, max_iter: int = 3000
) -> tuple[Equilibrium, World]:
    with _PURGE_LOCK:
        hit = _PURGES.get(id(world))
        if hit is not None and hit[0] is world:
            _PURGES.move_to_end(id(world))
            return hit[1], hit[2]
    eq = _solve(
        world, Counterfactual.from_world(world, deficits="zero", label="purge deficits"), tol, check_tol, max_iter
    )
    balanced = eq.to_world(name=f"{world.meta.name}+balanced")
    with _PURGE_LOCK:
        _PURGES[id(world)] = (world, eq, balanced)
        while len(_PURGES) > _PURGE_CACHE_SIZE:
            _PURGES.popitem(last=False)
    return eq, balanced


def purged_world(world: World) -> World:
    """``world`` purged of trade deficits (solved with D' = 0 and re-based with
    ``to_world``), the baseline of the ``"balanced"`` closure. Cached per world object."""
    return _purge(world)[1]


def _solve(world: World, cf: Counterfactual, tol: float, check_tol: float, max_iter: int) -> Equilibrium:
    t0 = time.perf_counter()
    x = cf.export_taxes if np.any(cf.export_taxes) else None
    sol = solve_hat(
        world.arrays(),
        Shock(cf.tariffs, cf.iceberg, cf.deficits, cf.closure, x, cf.critical_block()),
        tol=tol,
        max_iter=max_iter,
        check_tol=check_tol,
    )
    diag = Diagnostics(
        sol.iterations,
        sol.fixed_point_residual,
        sol.residuals,
        sol.restarts,
        time.perf_counter() - t0,
        sol.converged,
        check_tol,
    )
    if not sol.converged:
        raise ConvergenceError(
            f"equilibrium of {world.meta.name!r} under {cf.describe()!r} did not converge: {diag}", diag
        )
    _check_solution(world, cf, sol)
    return Equilibrium(world, cf, sol, diag)


@dataclasses.dataclass(frozen=True, eq=False)
class Equilibrium:
    """A solved counterfactual: changes relative to ``world`` with labels and units.

    Percent changes are ``100 * (x_hat - 1)``. Levels are in ``world.meta.units`` of the
    numeraire (world value added is held fixed).
    """

    world: World
    counterfactual: Counterfactual
    solution: Solution
    diagnostics: Diagnostics
    purge: Equilibrium | None = None  # "balanced" closure: the purge of the original world

    @property
    def closure(self) -> str:
        return self.counterfactual.closure

    @property
    def deficits(self) -> np.ndarray:
        """(n,) new deficits D' (numeraire units; endogenous under ``"fixed-ratios"``)."""
        return self.solution.D if self.solution.D is not None else self.counterfactual.deficits

    # ---------------------------------------------------------------- arrays
    @cached_property
    def price_index_hat(self) -> np.ndarray:
        """(n,) change in the consumer price index prod_j P_hat^alpha."""
        return np.exp((self.world.final_shares * np.log(self.solution.P_hat)).sum(axis=1))

    @cached_property
    def consumer_price_hat(self) -> np.ndarray:
        """(n,) consumer prices relative to the country's own nominal wage, P_hat / w_hat.

        The reading of "CPI %" users expect: what a basket costs in units of domestic
        labour (the domestic wage as numeraire). It is the inverse of the real wage.
        ``price_index_hat`` is the same index in units of the world numeraire.
        """
        return self.price_index_hat / self.solution.w_hat

    @cached_property
    def welfare_hat(self) -> np.ndarray:
        """(n,) real income change I_hat / P_hat (the model's welfare)."""
        return (self.solution.I / self.world.income) / self.price_index_hat

    @cached_property
    def real_value_added_hat(self) -> np.ndarray:
        """(n,) change in real value added (real GDP): each sector's output in quantities
        (value over unit cost, ``Y' / (Y c_hat)``) weighted by its baseline value added.

        Under tariffs it moves little (factors stay employed); a rationed critical input
        cuts it directly (the users' output falls), the measure published estimates of
        input cut-offs report (docs/shortage.md, section 8).
        """
        Y0 = self.world.gross_output
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(Y0 > 0, self.solution.Y / (Y0 * self.solution.c_hat), 1.0)
        va0 = self.world.va_share * Y0
        return (va0 * q).sum(axis=1) / va0.sum(axis=1)

    @cached_property
    def real_wage_hat(self) -> np.ndarray:
        return self.solution.w_hat / self.price_index_hat

    @cached_property
    def trade_flows(self) -> np.ndarray:
        """(n, i, j) new sales at factory prices (net of tariffs and of export taxes)."""
        s = self.solution
        cf = self.counterfactual
        assert cf.export_taxes is not None  # Counterfactual.__post_init__ always sets the array
        return s.pi * s.X[:, None, :] / ((1.0 + cf.tariffs) * (1.0 + cf.export_taxes))

    @cached_property
    def value_added(self) -> np.ndarray:
        """(n, j) new value added by sector."""
        return self.world.va_share * self.solution.Y

    @cached_property
    def decomposition(self) -> dict[str, np.ndarray]:
        """CP (2015) terms-of-trade, volume-of-trade and deficit effects, fractions of income.

        Keys ``terms_of_trade``, ``volume_of_trade`` and ``deficit`` ((D' - D) / I); the
        three add up to the welfare change to first order (docs/model.md, section 7).
        """
        return decompose(self.world, self.solution, self.counterfactual.tariffs, self.deficits)

    # ---------------------------------------------------------------- labelled
    def country_table(self):
        """pandas DataFrame by country: percent changes in welfare and its parts.

        ``welfare_value`` is the equivalent variation at baseline income in the world's
        units; ``welfare_per_household`` the same in USD per private household a year
        (``detente.world.households``), NaN where the households, or the world's units in
        USD, are unknown (``attrs["welfare_per_household"]`` then says why).
        """
        import pandas as pd

        w = self.world
        welfare_value = (self.welfare_hat - 1) * np.asarray(w.income)
        hh = households(w.countries) * 1e6
        per_household = np.full(w.n_countries, np.nan)
        why = "USD per private household a year (equivalent variation at baseline income)"
        if np.isfinite(hh).any():
            try:
                per_household = welfare_value * usd_per_unit(w.meta.units) / hh
            except DataError as exc:
                why = f"n/a: {exc}"
        else:
            why = "n/a: no household counts for this world's economies"
        dec = self.decomposition
        Tb, Tn = w.trade_flows, self.trade_flows
        idx = np.arange(w.n_countries)
        imp_b = Tb.sum(axis=(1, 2)) - Tb[idx, idx].sum(axis=1)
        imp_n = Tn.sum(axis=(1, 2)) - Tn[idx, idx].sum(axis=1)
        exp_b = Tb.sum(axis=(0, 2)) - Tb[idx, idx].sum(axis=1)
        exp_n = Tn.sum(axis=(0, 2)) - Tn[idx, idx].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            df = pd.DataFrame(
                {
                    "welfare_pct": 100 * (self.welfare_hat - 1),
                    # equivalent variation at baseline income, in the world's units
                    "welfare_value": welfare_value,
                    # the same in USD per private household a year (NaN where unknown)
                    "welfare_per_household": per_household,
                    "real_wage_pct": 100 * (self.real_wage_hat - 1),
                    "cpi_pct": 100 * (self.consumer_price_hat - 1),
                    "wage_pct": 100 * (self.solution.w_hat - 1),
                    "tot_pct": 100 * dec["terms_of_trade"],
                    "vot_pct": 100 * dec["volume_of_trade"],
                    "deficit_pct": 100 * dec["deficit"],
                    "welfare_cp_pct": 100 * (dec["terms_of_trade"] + dec["volume_of_trade"]),
                    "deficit": self.deficits,
                    "deficit_base": w.deficit,
                    "imports_pct": 100 * (imp_n / imp_b - 1),
                    "exports_pct": 100 * (exp_n / exp_b - 1),
                    "tariff_revenue": self.solution.R,
                    "tariff_revenue_base": w.tariff_revenue,
                },
                index=pd.Index(w.countries, name="country"),
            )
        df.attrs.update(self.provenance())
        df.attrs["welfare_per_household"] = why
        return df

    def sector_prices(self):
        """pandas DataFrame (country x sector): percent change of sectoral price indices."""
        import pandas as pd

        return pd.DataFrame(
            100 * (self.solution.P_hat - 1),
            index=pd.Index(self.world.countries, name="country"),
            columns=pd.Index(self.world.sectors, name="sector"),
        )

    def bilateral(self, importer: str, exporter: str):
        """pandas DataFrame by sector: baseline and new sales from exporter to importer."""
        import pandas as pd

        w = self.world
        n, i = w.country_index(importer), w.country_index(exporter)
        base, new = w.trade_flows[n, i], self.trade_flows[n, i]
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(base > 0, 100 * (new / base - 1), np.nan)
        return pd.DataFrame(
            {
                "baseline": base,
                "counterfactual": new,
                "change_pct": pct,
                "tariff_base_pct": 100 * w.tariffs[n, i],
                "tariff_new_pct": 100 * self.counterfactual.tariffs[n, i],
            },
            index=pd.Index(w.sectors, name="sector"),
        )

    def to_dataset(self):
        """Everything as an :class:`xarray.Dataset` (percent changes and new levels)."""
        import xarray as xr

        w = self.world
        c, s = list(w.countries), list(w.sectors)
        u = w.meta.units
        sol = self.solution
        dec = self.decomposition
        return xr.Dataset(
            {
                "welfare_pct": (("country",), 100 * (self.welfare_hat - 1), {"units": "%"}),
                "real_wage_pct": (("country",), 100 * (self.real_wage_hat - 1), {"units": "%"}),
                "cpi_pct": (
                    ("country",),
                    100 * (self.consumer_price_hat - 1),
                    {"units": "%", "long_name": "consumer prices relative to the own nominal wage"},
                ),
                "wage_pct": (("country",), 100 * (sol.w_hat - 1), {"units": "%"}),
                "terms_of_trade_pct": (("country",), 100 * dec["terms_of_trade"], {"units": "%"}),
                "volume_of_trade_pct": (("country",), 100 * dec["volume_of_trade"], {"units": "%"}),
                "deficit_effect_pct": (("country",), 100 * dec["deficit"], {"units": "%"}),
                "deficit": (("country",), self.deficits, {"units": u}),
                "deficit_base": (("country",), w.deficit, {"units": u}),
                "price_pct": (("country", "sector"), 100 * (sol.P_hat - 1), {"units": "%"}),
                "input_cost_pct": (("country", "sector"), 100 * (sol.c_hat - 1), {"units": "%"}),
                "gross_output": (("country", "sector"), sol.Y, {"units": u}),
                "gross_output_base": (("country", "sector"), w.gross_output, {"units": u}),
                "value_added": (("country", "sector"), self.value_added, {"units": u}),
                "value_added_base": (("country", "sector"), w.va_share * w.gross_output, {"units": u}),
                "tariff_revenue": (("country",), sol.R, {"units": u}),
                "trade": (("importer", "exporter", "sector"), self.trade_flows, {"units": u}),
                "trade_base": (("importer", "exporter", "sector"), w.trade_flows, {"units": u}),
                "trade_shares": (("importer", "exporter", "sector"), sol.pi, {"units": "1"}),
                "tariffs": (("importer", "exporter", "sector"), self.counterfactual.tariffs, {"units": "1 (fraction)"}),
            },
            coords={"country": c, "importer": c, "exporter": c, "sector": s},
            attrs=self.provenance(),
        )

    def provenance(self) -> dict:
        from detente import __version__

        m: WorldMeta = self.world.meta
        closure = self.counterfactual.closure
        out = {
            "world": m.name,
            "vintage": m.vintage,
            "units": m.units,
            "counterfactual": self.counterfactual.describe(),
            "closure": closure,
            "closure_definition": DESCRIPTIONS[closure],
            "detente_version": __version__,
            "numeraire": "world value added (fixed)",
            "diagnostics": str(self.diagnostics),
        }
        if self.purge is not None:
            out["baseline"] = (
                f"{self.purge.world.meta.name!r} purged of trade deficits (solved with "
                f"D' = 0, Dekle-Eaton-Kortum); every change is relative to the purged "
                f"world {m.name!r}, not to the data"
            )
            out["purge_diagnostics"] = str(self.purge.diagnostics)
        return out

    def to_world(self, name: str | None = None) -> World:
        """The counterfactual equilibrium as a new baseline world (shares and levels)."""
        s, w, cf = self.solution, self.world, self.counterfactual
        meta = dataclasses.replace(
            w.meta,
            name=name or f"{w.meta.name}+cf",
            notes=w.meta.notes + (f"re-based to counterfactual: {cf.describe()}",),
        )
        return World(
            w.countries,
            w.sectors,
            s.X,
            s.pi,
            cf.tariffs,
            w.theta,
            w.va_share,
            w.io_shares,
            w.final_shares,
            s.w_hat * w.value_added,
            self.deficits,
            meta,
        )

    def __repr__(self) -> str:
        return f"Equilibrium({self.world.meta.name!r}, {self.counterfactual.describe()!r}, {self.diagnostics})"
