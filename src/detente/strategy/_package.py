"""Package bargaining: tariffs, licence approvals and tech-control relaxation together.

The June 2025 London framework was not a tariff deal: it traded China's approvals of
rare-earth export licences against the US relaxation of its controls on chip-design
software (EDA), ethane and jet engines, with the Geneva tariffs kept. A *package*
between players A and B (default USA and CHN) is four numbers

.. math::  p = (t_A, t_B, s_A, s_B)

- :math:`t_A`: A's tariff on B's goods, percentage points added to the reference
  tariffs (the world's baseline, 2022 applied tariffs) in every goods sector; :math:`t_B`
  likewise for B on A;
- :math:`s_A \\in [0, 1]`: the share of A's *controlled* exports to B that A lets
  through (for the US: the relaxation of the 2025 EDA, jet-engine and ethane controls,
  ``US_TECH_2025``); :math:`s_B`: the same for B (for China: the approval share of its
  April 2025 licences on the registry's rare earths and magnets, ``CN_CRITICAL_2025``).

Each control is read as the rest of detente reads it (:mod:`detente.instruments`): a
control on a registry product (``critical``) by its users' nested CES block, as
:class:`~detente.strategy.CriticalInputCutoff` and ``detente whatif --cut`` read it
(rationed users, the scarcity rent to the licence holder; docs/model.md section 5b);
a control that covers the share :math:`c^j` of sector j's exports (``controls``, for
products with no registry entry) refuses :math:`c^j (1 - s)`, read as the scenario
timeline reads it (:meth:`Counterfactual.licence`: the quota's export-tax equivalent,
rent to the exporter). Each player's payoff is its objective :math:`U_k(p)`
(:mod:`._objective`, percent of baseline income: real income, or the political weights
revealed by :mod:`._revealed`), optionally minus shortage losses of the critical-input
cut-off from a :data:`CriticalInputLoss` model, weighted by ``1 + security_weight``;
with a loss model the registry products are read by it instead of the nest (one model
per cut, as :func:`detente.strategy.leverage_table` does).

**Threat point.** If talks fail, the war goes on: by default both sides at the April
2025 peak tariffs (US +145 pp, China +125 pp) with every control fully on
(:math:`s_A = s_B = 0`, China refusing all of its April 2025 rare earths and magnets,
the US refusing all of its 2025 tech licences). That is the worst state of 2025 on
every instrument at once, a little harsher than any single date (the US May-July
licences never overlapped the tariff peak).

**Results.** :func:`package_grid` evaluates every package of a coarse grid (one
batched equilibrium solve, :func:`detente.equilibrium.solve_batch`) and marks the
packages both players prefer to the threat point; :func:`package_bargain` finds the
Nash bargaining package

.. math::  p^* = \\arg\\max_p \\; (U_A(p) - d_A)(U_B(p) - d_B)
           \\quad \\text{s.t. } U_k(p) \\ge d_k

(Nash 1950), started at the best grid package and refined by L-BFGS-B on the box of
the grid (finite-difference gradients: a package is 4 numbers). :func:`real_deals`
places Geneva, London and Busan in the same coordinates, as the shipped us-china-2025
scenario documents them, and :func:`scenario_deals` evaluates the scenario's own
policy state on each date (exemptions, coverage, China's licences to every importer).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from detente._defaults import DEFAULT_PAIR
from detente.errors import DetenteError
from detente.strategy._leverage import (
    CN_CRITICAL_2025,
    US_TECH_2025,
    CriticalInputCutoff,
    CriticalInputLoss,
)
from detente.strategy._objective import Objective

if TYPE_CHECKING:
    from detente.equilibrium import Closure, Equilibrium

#: the four coordinates of a package, in order
FIELDS = ("tariff_A_pp", "tariff_B_pp", "pass_A", "pass_B")

#: each side's 2025 controls in a package: (sector coverage of controlled goods with no
#: registry entry, registry products): the US licences of May-July 2025 on chip-design
#: software, jet engines and ethane; China's April 2025 licences on rare earths and magnets
CONTROLS_2025: dict[str, tuple[Mapping[str, float], tuple[str, ...]]] = {
    "USA": (US_TECH_2025, ()),
    "CHN": ({}, CN_CRITICAL_2025),
}


@dataclasses.dataclass(frozen=True)
class Package:
    """One package: tariffs (pp added on the other's goods) and control pass shares."""

    tariff_a_pp: float
    tariff_b_pp: float
    pass_a: float
    pass_b: float
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("tariff_a_pp", "tariff_b_pp"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise DetenteError(
                    f"package {self.label or ''}: {name} must be a finite number of percentage points >= 0, got {v!r}"
                )
        for name in ("pass_a", "pass_b"):
            v = getattr(self, name)
            if not np.isfinite(v) or not 0 <= v <= 1:
                raise DetenteError(f"package {self.label or ''}: {name} must be a share in [0, 1], got {v!r}")

    def as_array(self) -> np.ndarray:
        return np.array([self.tariff_a_pp, self.tariff_b_pp, self.pass_a, self.pass_b], float)

    @classmethod
    def of(cls, x, label: str = "") -> Package:
        x = np.asarray(x, float)
        return cls(float(x[0]), float(x[1]), float(x[2]), float(x[3]), label)


@dataclasses.dataclass(frozen=True)
class PackageSpace:
    """What can be traded between ``players`` and the grid it is searched on.

    ``controls[k]``: sector -> share of player k's exports to the other under its
    control (k = 0 is A), for controlled goods with no registry entry; ``critical[k]``:
    the registry products (critical inputs) under player k's licences, read by the
    users' nested CES block at ``critical_horizon``. Either left out (None): for USA and
    CHN each side's 2025 controls against the other (:data:`CONTROLS_2025`), none for
    other pairs.
    ``tariff_max_pp``: the grid's largest tariff per player (the threat point's tariffs
    by default). ``sectors``: the tariffed sectors.
    """

    players: tuple[str, str] = DEFAULT_PAIR
    # None: the 2025 controls, resolved in __post_init__ (so the type stays a tuple)
    controls: tuple[Mapping[str, float], Mapping[str, float]] = None  # type: ignore[assignment]
    tariff_max_pp: tuple[float, float] = (145.0, 125.0)
    tariff_points: int = 6
    pass_points: int = 5
    sectors: str = "goods"
    critical: tuple[tuple[str, ...], tuple[str, ...]] = None  # type: ignore[assignment]
    critical_horizon: str = "1y"

    def __post_init__(self) -> None:
        a, b = self.players
        if a == b:
            raise DetenteError(f"players: a package needs two different countries, got {self.players}")
        pair = set(self.players) == set(CONTROLS_2025)
        own = [CONTROLS_2025[p] if pair else ({}, ()) for p in self.players]
        controls = self.controls if self.controls is not None else tuple(c for c, _ in own)
        critical = self.critical if self.critical is not None else tuple(c for _, c in own)
        object.__setattr__(self, "controls", tuple(dict(c) for c in controls))
        object.__setattr__(self, "critical", tuple(tuple(c) for c in critical))
        if len(self.critical) != 2:
            raise DetenteError(f"critical: one tuple of registry products per player, got {self.critical!r}")
        if any(self.critical):
            from detente.errors import DataError
            from detente.shortage import load_registry

            registry = load_registry()
            for who, prods in zip(self.players, self.critical, strict=True):
                try:
                    for pr in prods:
                        registry[pr]  # an unknown id raises DataError, naming it and the known ones
                except DataError as e:
                    raise DetenteError(f"critical products of {who}: {e}") from None
        for who, cov in zip(self.players, self.controls, strict=True):
            for s, c in cov.items():
                if not 0 <= c < 1:
                    raise DetenteError(f"controls of {who}: coverage of {s} must be in [0, 1), got {c!r}")
        for who, m in zip(self.players, self.tariff_max_pp, strict=True):
            if not np.isfinite(m) or m <= 0:
                raise DetenteError(f"tariff_max_pp of {who} must be > 0 pp, got {m!r}")
        if self.tariff_points < 2 or self.pass_points < 2:
            raise DetenteError(
                f"grid needs at least 2 points per axis, got tariff_points={self.tariff_points}, "
                f"pass_points={self.pass_points}"
            )

    @property
    def upper(self) -> np.ndarray:
        return np.array([*self.tariff_max_pp, 1.0, 1.0])

    def grid(self) -> np.ndarray:
        """(K, 4) packages of the grid (tariffs ``tariff_points`` per axis, shares ``pass_points``)."""
        ta = np.linspace(0.0, self.tariff_max_pp[0], self.tariff_points)
        tb = np.linspace(0.0, self.tariff_max_pp[1], self.tariff_points)
        s = np.linspace(0.0, 1.0, self.pass_points)
        return np.array(np.meshgrid(ta, tb, s, s, indexing="ij")).reshape(4, -1).T

    def war(self) -> Package:
        """The default threat point: the grid's top tariffs, every control fully on."""
        return Package(self.tariff_max_pp[0], self.tariff_max_pp[1], 0.0, 0.0, "war (April 2025 peak, all controls)")

    def counterfactual(self, reference, x):
        """``reference`` (a Counterfactual) with package ``x`` on top."""
        return reference.apply(*self.instruments(x))

    def instruments(self, x) -> tuple:
        """Package ``x`` = (tariff of A, tariff of B, pass share of A's controls, of B's) as
        :mod:`detente.instruments` values: tariffs added on the other's goods, and licences
        refusing (1 - pass share) of each side's controlled exports (the registry products
        as :class:`CriticalInputCutoff` builds them)."""
        from detente.instruments import ExportLicence, Tariff

        a, b = self.players
        ta, tb, sa, sb = (float(v) for v in x)
        out: list = [Tariff(a, b, self.sectors, ta, "add")] if ta else []
        if tb:
            out.append(Tariff(b, a, self.sectors, tb, "add"))
        for k, ((imp, tgt), s) in enumerate((((a, b), sa), ((b, a), sb))):
            if s >= 1:
                continue
            if self.controls[k]:
                out.append(ExportLicence(imp, tgt, 1.0 - s, coverage=self.controls[k]))
            if self.critical[k]:
                cut = CriticalInputCutoff(self.critical[k], 1.0 - s, horizon=self.critical_horizon)
                out.extend(cut.instruments(imp, tgt))
        return tuple(out)

    def without_critical(self) -> PackageSpace:
        """The same space with the registry products left out of the static reading (a
        shortage loss model reads them instead)."""
        return dataclasses.replace(self, critical=((), ()))

    def describe(self) -> str:
        a, b = self.players

        def cov(k):
            parts = [f"{100 * v:g}% of {s}" for s, v in self.controls[k].items()]
            if self.critical[k]:
                parts.append(f"{', '.join(self.critical[k])} (users' nested CES block at {self.critical_horizon})")
            return ", ".join(parts) or "nothing"

        return (
            f"tariffs: {a} on {b} 0-{self.tariff_max_pp[0]:g} pp, {b} on {a} 0-{self.tariff_max_pp[1]:g} pp "
            f"added on {self.sectors} over the baseline; controls: {a} licences on {cov(0)} of "
            f"its exports to {b}, {b} licences on {cov(1)} of its exports to {a}; "
            f"pass share 0 = all refused, 1 = all approved"
        )


class PackageModel:
    """Payoffs of packages: batched equilibrium solves plus optional shortage losses."""

    def __init__(
        self,
        world,
        space: PackageSpace | None = None,
        *,
        objectives: Sequence[Objective] | None = None,
        loss_model: CriticalInputLoss | None = None,
        reference=None,
        closure: Closure | None = None,
    ) -> None:
        from detente.equilibrium import Counterfactual

        self.world = world
        self.space = space or PackageSpace()
        for p in self.space.players:
            world.country_index(p)  # an unknown label raises here, naming it
        self.objectives = tuple(objectives) if objectives else tuple(Objective(p) for p in self.space.players)
        if [o.country for o in self.objectives] != list(self.space.players):
            raise DetenteError(
                f"objectives must be those of {self.space.players} in order, got {[o.country for o in self.objectives]}"
            )
        self.loss_model = loss_model
        # one model per cut: with a loss model the registry products are read by it alone
        self.static_space = self.space if loss_model is None else self.space.without_critical()
        self.reference = reference if reference is not None else Counterfactual.from_world(world, closure=closure)
        self.solves = 0

    def values(self, xs) -> np.ndarray:
        """(K, 2) objectives (percent of baseline income) of the packages ``xs`` (K, 4)."""
        from detente.equilibrium import solve_batch
        from detente.strategy._gradient import objective_values

        xs = np.atleast_2d(np.asarray(xs, float))
        cfs = [self.static_space.counterfactual(self.reference, x) for x in xs]
        res = solve_batch(self.world, cfs).raise_on_failure()
        self.solves += len(cfs)
        base = self.world.arrays()
        eqs = cast("list[Equilibrium]", res.equilibria)  # raise_on_failure: every member has an answer
        out = np.array([objective_values(self.world, eq.solution, self.objectives, base) for eq in eqs])
        if self.loss_model is not None:
            out -= self._shortage(xs)
        return out

    def _shortage(self, xs) -> np.ndarray:
        """(K, 2) shortage losses (percent of income, x (1 + security weight)) of B's cut-off."""
        assert self.loss_model is not None  # called only with a loss model
        a, b = self.space.players
        w = self.world
        out = np.zeros((len(xs), 2))
        for k, x in enumerate(xs):
            lost = self.loss_model(b, a, 1.0 - float(x[3]))
            for m, o in enumerate(self.objectives):
                v = lost.get(o.country, 0.0)
                out[k, m] = 100 * (1.0 + o.security_weight) * v / w.income[w.country_index(o.country)]
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class PackageResult:
    """The grid, the mutually preferred set and the Nash bargaining package."""

    space: PackageSpace
    objectives: tuple[Objective, ...]
    threat: Package
    threat_values: np.ndarray  # (2,) U_k at the threat point, % of income
    grid: np.ndarray  # (K, 4) packages
    grid_values: np.ndarray  # (K, 2)
    bargain: Package
    bargain_values: np.ndarray  # (2,)
    converged: bool
    message: str
    seconds: float
    solves: int
    world: str = ""
    elasticities: str = ""
    deals: Any = None  # pandas DataFrame of the real deals, or None

    @property
    def gains(self) -> np.ndarray:
        """(K, 2) grid gains over the threat point, percentage points of income."""
        return self.grid_values - self.threat_values

    @property
    def preferred(self) -> np.ndarray:
        """(K,) True where both players prefer the grid package to the threat point."""
        return (self.gains > 0).all(axis=1)  # type: ignore[return-value]  # numpy stubs: all(axis=1) of 2-D is an array

    @property
    def bargain_gains(self) -> np.ndarray:
        return self.bargain_values - self.threat_values

    def in_preferred_set(self, values) -> bool:
        return bool((np.asarray(values) - self.threat_values > 0).all())

    def frontier_share(self, values) -> np.ndarray:
        """Each player's gain at ``values`` as a share of its gain at the bargain."""
        return (np.asarray(values) - self.threat_values) / self.bargain_gains

    def grid_table(self):
        """One row per grid package: coordinates, U, gains, ``both_prefer``."""
        import pandas as pd

        a, b = self.space.players
        g = self.gains
        df = pd.DataFrame(
            {
                f"{a} tariff pp": self.grid[:, 0],
                f"{b} tariff pp": self.grid[:, 1],
                f"{a} pass share": self.grid[:, 2],
                f"{b} pass share": self.grid[:, 3],
                f"U_{a} %": self.grid_values[:, 0],
                f"U_{b} %": self.grid_values[:, 1],
                f"gain_{a} pp": g[:, 0],
                f"gain_{b} pp": g[:, 1],
                "both_prefer": self.preferred,
            }
        )
        df.attrs.update(self.labels())
        return df

    def preferred_ranges(self):
        """For each coordinate, the range it takes over the mutually preferred grid packages."""
        import pandas as pd

        a, b = self.space.players
        names = [
            f"{a} tariff on {b} (pp)",
            f"{b} tariff on {a} (pp)",
            f"{a} control pass share",
            f"{b} control pass share",
        ]
        sel = self.grid[self.preferred]
        rows = []
        for k, n in enumerate(names):
            if len(sel):
                rows.append(
                    {
                        "coordinate": n,
                        "min": float(sel[:, k].min()),
                        "max": float(sel[:, k].max()),
                        "bargain": float(self.bargain.as_array()[k]),
                        "threat": float(self.threat.as_array()[k]),
                    }
                )
            else:
                rows.append(
                    {
                        "coordinate": n,
                        "min": np.nan,
                        "max": np.nan,
                        "bargain": float(self.bargain.as_array()[k]),
                        "threat": float(self.threat.as_array()[k]),
                    }
                )
        return pd.DataFrame(rows).set_index("coordinate")

    def summary_table(self):
        """Threat point, Nash bargaining package and the real deals: coordinates, U, gains."""
        import pandas as pd

        a, b = self.space.players
        rows = [self._row(self.threat, self.threat_values), self._row(self.bargain, self.bargain_values)]
        if self.deals is not None:
            for _, r in self.deals.iterrows():
                x = Package(r["tariff_A_pp"], r["tariff_B_pp"], r["pass_A"], r["pass_B"], r["deal"])
                rows.append(self._row(x, np.array([r["U_A"], r["U_B"]])))
        df = pd.DataFrame(rows).set_index("package")
        df.columns = [c.replace("{a}", a).replace("{b}", b) for c in df.columns]
        df.attrs.update(self.labels())
        return df

    def _row(self, x: Package, v) -> dict:
        g = np.asarray(v) - self.threat_values
        share = g / self.bargain_gains if (self.bargain_gains > 0).all() else (np.nan, np.nan)
        return {
            "package": x.label,
            "{a} tariff pp": x.tariff_a_pp,
            "{b} tariff pp": x.tariff_b_pp,
            "{a} pass": x.pass_a,
            "{b} pass": x.pass_b,
            "U_{a} %": float(v[0]),
            "U_{b} %": float(v[1]),
            "gain_{a} pp": float(g[0]),
            "gain_{b} pp": float(g[1]),
            "both prefer": bool((g > 1e-12).all()) if x is not self.threat else False,
            "gain_{a} / bargain": float(share[0]),
            "gain_{b} / bargain": float(share[1]),
        }

    def labels(self) -> dict:
        return {
            "world": self.world,
            "elasticities": self.elasticities,
            "objective": "; ".join(o.describe() for o in self.objectives),
            "units": "tariffs: pp added to the 2022 baseline on goods; pass: share of controlled exports "
            "let through; U: objective, % of baseline income (100 x log real income, plus "
            "political weights); gains: pp of income over the threat point",
            "threat": self.threat.label,
            "space": self.space.describe(),
        }

    def to_dict(self) -> dict:
        from detente.store._records import jsonable

        return jsonable(
            {
                **self.labels(),
                "players": list(self.space.players),
                "threat": dict(zip(FIELDS, self.threat.as_array().tolist(), strict=True)),
                "threat_values_pct": self.threat_values,
                "bargain": dict(zip(FIELDS, self.bargain.as_array().tolist(), strict=True)),
                "bargain_values_pct": self.bargain_values,
                "bargain_gains_pp": self.bargain_gains,
                "converged": self.converged,
                "message": self.message,
                "seconds": self.seconds,
                "solves": self.solves,
                "grid_size": len(self.grid),
                "preferred_count": int(self.preferred.sum()),
                "preferred_ranges": self.preferred_ranges().reset_index().to_dict(orient="records"),
                "summary": self.summary_table().reset_index().to_dict(orient="records"),
            }
        )


def _log_gain(v, d, eps: float = 1e-7):
    """sum log(v - d), continued smoothly (second-order Taylor) below ``eps``."""
    gap = np.asarray(v) - d
    safe = np.maximum(gap, eps)
    return float(
        np.where(gap >= eps, np.log(safe), np.log(eps) + (gap - eps) / eps - (gap - eps) ** 2 / (2 * eps**2)).sum()
    )


def package_bargain(
    world,
    space: PackageSpace | None = None,
    *,
    threat: Package | None = None,
    objectives: Sequence[Objective] | None = None,
    loss_model: CriticalInputLoss | None = None,
    reference=None,
    closure: Closure | None = None,
    refine: bool = True,
    deals: bool = True,
    progress=None,
) -> PackageResult:
    """The mutually preferred packages on a grid and the Nash bargaining package.

    Parameters
    ----------
    world : World
        With its elasticities set (strategy compares permanent policies: long run).
    space : PackageSpace
        Players, controls and grid (default: USA and CHN, 2025 controls, 6 x 6 x 5 x 5).
    threat : Package
        The disagreement point (default :meth:`PackageSpace.war`).
    objectives : two Objectives
        The players' objectives (default real income).
    loss_model : CriticalInputLoss, optional
        Adds B's critical-input cut-off shortage losses (severity 1 - pass_B).
    refine : bool
        Refine the best grid package by L-BFGS-B (else the grid's best is returned).
    deals : bool
        Add the real deals (:func:`real_deals`) when the players are USA and CHN.
    progress : callable(done, total, text), optional
    """
    from scipy.optimize import minimize

    t0 = time.perf_counter()
    space = space or PackageSpace()
    model = PackageModel(
        world, space, objectives=objectives, loss_model=loss_model, reference=reference, closure=closure
    )
    threat = threat or space.war()
    xs = space.grid()
    steps = 3 if refine else 2
    d = model.values(threat.as_array())[0]
    if progress:
        progress(1, steps, "threat point")
    v = model.values(xs)
    if progress:
        progress(2, steps, f"grid of {len(xs)} packages")
    gains = v - d
    ok = (gains > 0).all(axis=1)
    if not ok.any():
        k = int(np.argmax(gains.min(axis=1)))
        best, best_v, converged = xs[k], v[k], False
        message = "no package of the grid is preferred by both players to the threat point"
    else:
        score = np.where(ok, np.log(np.where(ok[:, None], gains, 1.0)).sum(axis=1), -np.inf)
        k = int(np.argmax(score))
        best, best_v, converged, message = xs[k], v[k], True, "grid optimum"
        if refine:
            upper = space.upper
            memo: dict = {}

            def f(y):
                key = tuple(np.round(y, 14))
                if key not in memo:
                    memo[key] = -_log_gain(model.values(np.clip(y, 0, 1) * upper)[0], d)
                return memo[key]

            def fg(y):
                f0 = f(y)
                h = 1e-5
                ys = []
                for r in range(4):
                    e = np.zeros(4)
                    e[r] = h if y[r] + h <= 1 else -h
                    ys.append((y + e, e[r]))
                vals = model.values(np.array([np.clip(yy, 0, 1) * upper for yy, _ in ys]))
                g = np.array([(-_log_gain(vals[r], d) - f0) / ys[r][1] for r in range(4)])
                return f0, g

            res = minimize(
                fg,
                best / upper,
                jac=True,
                method="L-BFGS-B",
                bounds=[(0.0, 1.0)] * 4,
                options={"maxiter": 60, "ftol": 1e-12, "gtol": 1e-8},
            )
            x = np.clip(res.x, 0, 1) * upper
            vx = model.values(x)[0]
            if (vx - d > 0).all() and _log_gain(vx, d) >= _log_gain(best_v, d):
                best, best_v = x, vx
                message = f"refined from the grid optimum (L-BFGS-B: {res.message})"
            else:
                message = f"grid optimum (refinement did not improve: {res.message})"
            if progress:
                progress(3, steps, "refined")
    a, b = space.players
    deal_df = None
    if deals and (a, b) == ("USA", "CHN"):
        deal_df = real_deals(model)
    return PackageResult(
        space,
        model.objectives,
        threat,
        d,
        xs,
        v,
        Package.of(best, "Nash bargaining package"),
        best_v,
        converged,
        message,
        time.perf_counter() - t0,
        model.solves,
        world.meta.name,
        world.meta.elasticities,
        deal_df,
    )


#: Geneva, London and Busan in package coordinates (USA = A, CHN = B), from the shipped
#: us-china-2025 scenario: tariffs are the headline layers added on all goods (IEEPA
#: fentanyl + reciprocal for the US, the all-goods retaliation for China; exemptions left
#: out), China's pass share is the approval share of its April 2025 licences (the
#: registry's rare earths and magnets; the October regime's five other rare earths have
#: no registry entry and are not in the package), the US pass share 1 once its May-July
#: 2025 licences were lifted (they were not yet in force at Geneva).
REAL_DEALS = (
    (
        "Geneva (in force 14 May 2025)",
        dt.date(2025, 5, 14),
        30.0,
        10.0,
        1.0,
        0.25,
        (
            "US 20 fentanyl + 10 reciprocal, China 10; China's April licences in review, ~25% approved by early June; "
            "US tech controls not yet imposed"
        ),
    ),
    (
        "London (framework 10-11 June, in force early July 2025)",
        dt.date(2025, 7, 4),
        30.0,
        10.0,
        1.0,
        0.6,
        (
            "Geneva tariffs kept; China approves ~60% of rare-earth licences by late June; US lifts the EDA, ethane and "
            "jet-engine licences on 2-3 July"
        ),
    ),
    (
        "Busan (30 Oct, in force 10 Nov 2025)",
        dt.date(2025, 11, 10),
        20.0,
        10.0,
        1.0,
        0.6,
        "fentanyl duty 20 -> 10; China suspends the October rare-earth regime for a year (April regime at ~60%)",
    ),
)


def real_deals(model: PackageModel):
    """Geneva, London and Busan in package coordinates (:data:`REAL_DEALS`) with their payoffs.

    Returns a pandas DataFrame: ``deal``, ``date``, the four coordinates, ``U_A``,
    ``U_B`` (percent of income) and ``note``.
    """
    import pandas as pd

    xs = np.array([[t_a, t_b, s_a, s_b] for _, _, t_a, t_b, s_a, s_b, _ in REAL_DEALS])
    v = model.values(xs)
    return pd.DataFrame(
        [
            {
                "deal": name,
                "date": str(day),
                "tariff_A_pp": x[0],
                "tariff_B_pp": x[1],
                "pass_A": x[2],
                "pass_B": x[3],
                "U_A": u[0],
                "U_B": u[1],
                "note": note,
            }
            for (name, day, *_, note), x, u in zip(REAL_DEALS, xs, v, strict=True)
        ]
    )


#: dates of the scenario view: the peak and the three deals in force
SCENARIO_DATES = {
    "April 2025 peak": dt.date(2025, 4, 14),
    "Geneva": dt.date(2025, 5, 14),
    "London": dt.date(2025, 7, 4),
    "Busan": dt.date(2025, 11, 10),
}


def scenario_deals(
    world,
    objectives: Sequence[Objective] | None = None,
    *,
    scenario: str = "us-china-2025",
    players: tuple[str, str] = DEFAULT_PAIR,
    closure: Closure | None = None,
):
    """The scenario's own policy state on the peak and deal dates (:data:`SCENARIO_DATES`).

    Every tariff layer with its exemptions and coverage, and China's licences to every
    importer, as the replay sees them. Returns a pandas DataFrame: ``state``, ``date``,
    ``U_A``, ``U_B`` (percent of income) and gains over the scenario's April 2025 peak.
    """
    import pandas as pd

    from detente.equilibrium import Counterfactual, solve_batch
    from detente.policy import load_scenario, policy_state
    from detente.strategy._gradient import objective_values

    sc = load_scenario(scenario)
    objectives = tuple(objectives) if objectives else tuple(Objective(p) for p in players)
    ref = Counterfactual.from_world(world, closure=closure)
    cfs = [policy_state(world, sc, day).apply(ref).with_label(name) for name, day in SCENARIO_DATES.items()]
    res = solve_batch(world, cfs).raise_on_failure()
    base = world.arrays()
    eqs = cast("list[Equilibrium]", res.equilibria)  # raise_on_failure: every member has an answer
    v = np.array([objective_values(world, eq.solution, objectives, base) for eq in eqs])
    d = v[0]
    return pd.DataFrame(
        [
            {"state": name, "date": str(day), "U_A": u[0], "U_B": u[1], "gain_A": u[0] - d[0], "gain_B": u[1] - d[1]}
            for (name, day), u in zip(SCENARIO_DATES.items(), v, strict=True)
        ]
    )
