"""The critical-input registry: products, suppliers, users, inventories, criticality.

The shipped registry is ``detente/data/critical_inputs.yaml``; every number there is a
mapping ``{value, source, date}``. Users add or override products with their own file
(:func:`load_registry` ``extra=``): a known product id is updated field by field, a new
id is added. Numbers in a user file may be plain numbers.

:func:`map_registry` turns the registry (ICIO industries, ISO3 countries) into plain
arrays on a given world's countries and sectors (:class:`CriticalArrays`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from detente.errors import DataError

_NUMBER_FIELDS = ("intensity", "criticality", "inventory_days")


@dataclasses.dataclass(frozen=True)
class Sourced:
    """A number with its source key and the date it refers to."""

    value: float
    source: str = ""
    date: str = ""


@dataclasses.dataclass(frozen=True)
class User:
    """An industry that uses a product: cost share, criticality, days of inventory."""

    industry: str
    intensity: Sourced
    criticality: Sourced
    inventory_days: Sourced
    countries: Mapping[str, Mapping[str, Sourced]] = dataclasses.field(default_factory=dict)

    def value(self, field: str, country: str | None = None) -> float:
        """``field`` for ``country`` (its override if any, else the industry's value)."""
        ov = self.countries.get(country or "", {})
        return float((ov.get(field) or getattr(self, field)).value)


def scale_inventories(registry: "Registry", factor: float) -> "Registry":
    """``registry`` with every user's inventory cover (days, country overrides included)
    multiplied by ``factor`` (> 0): the inventory axis of a sweep or a sensitivity."""
    if not factor > 0:
        raise DataError(f"inventory scale must be positive, got {factor!r}")

    def sc(v: Sourced) -> Sourced:
        return dataclasses.replace(v, value=float(v.value) * factor)

    products = {}
    for pid, prod in registry.products.items():
        users = tuple(
            dataclasses.replace(
                u,
                inventory_days=sc(u.inventory_days),
                countries={
                    k: {f: (sc(v) if f == "inventory_days" else v) for f, v in m.items()}
                    for k, m in u.countries.items()
                },
            )
            for u in prod.users
        )
        products[pid] = dataclasses.replace(prod, users=users)
    return dataclasses.replace(registry, products=products)


@dataclasses.dataclass(frozen=True)
class Parts:
    """The industries whose parts carry a product into their buyers (the parts channel).

    ``industries`` are ICIO industries that are users of the product and sell parts to
    other users (NdFeB magnets: C27 motors and generators, C29 parts such as EPS units).
    A user's content of the product follows its purchases of these industries by origin
    country, weighted by the makers' registry ``intensity`` (docs/shortage.md, 'The parts
    channel'). A listed industry that is not a user of the product weighs nothing.
    """

    industries: tuple[str, ...]
    source: str = ""
    date: str = ""
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Product:
    """A critical input (see the registry file's header for the fields)."""

    id: str
    name: str
    parent: str
    supplier_shares: Mapping[str, Sourced]
    users: tuple[User, ...]
    transit_weeks: Sourced
    refill_weeks: Sourced
    surge: Sourced
    max_substitution: Sourced
    ramp_weeks: Sourced
    sourcing: Mapping[str, Mapping[str, Sourced]] = dataclasses.field(default_factory=dict)
    controlled_by: str = ""
    parts: Parts | None = None

    def shares_for(self, country: str) -> dict[str, float]:
        """Supplier shares (ISO3 or region -> share) of users in ``country``."""
        src = self.sourcing.get(country, self.supplier_shares)
        return {k: float(v.value) for k, v in src.items()}


@dataclasses.dataclass(frozen=True)
class Link:
    """A critical intermediate-goods link: ``buyer`` stops when its ``input`` is short.

    Downstream propagation runs only along the registry's links (docs/shortage.md,
    'Downstream propagation'); a service buyer is capped only if a link names it.
    """

    buyer: str
    input: str
    source: str = ""
    date: str = ""
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Registry:
    """Products by id, the critical intermediate links, and the table of sources."""

    products: Mapping[str, Product]
    sources: Mapping[str, str]
    version: str = ""
    links: tuple[Link, ...] = ()

    def __getitem__(self, pid: str) -> Product:
        try:
            return self.products[pid]
        except KeyError:
            import difflib

            close = difflib.get_close_matches(pid, list(self.products), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise DataError(f"unknown critical input {pid!r}{hint} (known: {', '.join(self.products)})") from None

    def __contains__(self, pid: object) -> bool:
        return pid in self.products

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.products)

    def subset(self, ids: Sequence[str]) -> Registry:
        return Registry({i: self[i] for i in ids}, self.sources, self.version, self.links)


# ------------------------------------------------------------------------- parsing
def _num(x: Any, where: str, strict: bool, lo: float = 0.0, hi: float = float("inf")) -> Sourced:
    if isinstance(x, Mapping):
        unknown = set(x) - {"value", "source", "date"}
        if unknown or "value" not in x:
            raise DataError(f"{where}: expected {{value, source, date}}, got keys {sorted(x)}")
        s = Sourced(float(x["value"]), str(x.get("source", "")), str(x.get("date", "")))
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        s = Sourced(float(x))
    else:
        raise DataError(f"{where}: expected a number or {{value, source, date}}, got {x!r}")
    if strict and (not s.source or not s.date):
        raise DataError(f"{where}: every number in the shipped registry needs a source and a date")
    if not lo <= s.value <= hi:
        raise DataError(f"{where} = {s.value}: expected a value in [{lo}, {hi}]")
    return s


def _shares(d: Any, where: str, strict: bool) -> dict[str, Sourced]:
    if not isinstance(d, Mapping) or not d:
        raise DataError(f"{where}: expected a mapping COUNTRY: share")
    out = {str(k): _num(v, f"{where}.{k}", strict, 0.0, 1.0) for k, v in d.items()}
    total = sum(v.value for v in out.values())
    if total > 1 + 1e-9:
        raise DataError(f"{where}: supplier shares add up to {total:.4f} > 1")
    return out


def _user(d: Mapping, where: str, strict: bool) -> User:
    unknown = set(d) - {"industry", *_NUMBER_FIELDS, "countries"}
    if unknown:
        raise DataError(f"{where}: unknown keys {sorted(unknown)}")
    if "industry" not in d:
        raise DataError(f"{where}: 'industry' is missing")
    bounds = {"intensity": (0.0, 1.0), "criticality": (0.0, 1.0), "inventory_days": (0.0, 3650.0)}
    nums = {}
    for f in _NUMBER_FIELDS:
        if f not in d:
            raise DataError(f"{where}: {f!r} is missing")
        nums[f] = _num(d[f], f"{where}.{f}", strict, *bounds[f])
    countries = {}
    for c, ov in (d.get("countries") or {}).items():
        bad = set(ov) - set(_NUMBER_FIELDS)
        if bad:
            raise DataError(f"{where}.countries.{c}: unknown keys {sorted(bad)} (allowed: {_NUMBER_FIELDS})")
        countries[str(c)] = {f: _num(v, f"{where}.countries.{c}.{f}", strict, *bounds[f]) for f, v in ov.items()}
    return User(str(d["industry"]), countries=countries, **nums)


_PRODUCT_KEYS = {
    "name",
    "parent",
    "controlled_by",
    "supplier_shares",
    "sourcing",
    "transit_weeks",
    "refill_weeks",
    "surge",
    "substitution",
    "users",
    "parts",
}


def _product(pid: str, d: Mapping, where: str, strict: bool, base: Product | None = None) -> Product:
    unknown = set(d) - _PRODUCT_KEYS
    if unknown:
        raise DataError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(_PRODUCT_KEYS)})")

    def get(key: str):
        if key in d:
            return d[key]
        if base is None:
            raise DataError(f"{where}: {key!r} is missing")
        return None

    kw: dict[str, Any] = dataclasses.asdict(base) if base else {}
    if base:
        kw = {f.name: getattr(base, f.name) for f in dataclasses.fields(Product)}
    kw["id"] = pid
    for key in ("name", "parent"):
        v = get(key)
        if v is not None:
            kw[key] = str(v)
    kw["controlled_by"] = str(d.get("controlled_by", kw.get("controlled_by", "")))
    v = get("supplier_shares")
    if v is not None:
        kw["supplier_shares"] = _shares(v, f"{where}.supplier_shares", strict)
    if "sourcing" in d:  # by country: a listed country's mix replaces the base's, null removes it
        src = dict(kw.get("sourcing") or {})
        for c, sh in (d["sourcing"] or {}).items():
            if sh is None:
                src.pop(str(c), None)
            else:
                src[str(c)] = _shares(sh, f"{where}.sourcing.{c}", strict)
        kw["sourcing"] = src
    kw.setdefault("sourcing", {})
    for key, lo, hi in (("transit_weeks", 1, 52), ("refill_weeks", 1, 104), ("surge", 0, 10)):
        v = get(key)
        if v is not None:
            kw[key] = _num(v, f"{where}.{key}", strict, lo, hi)
    v = get("substitution")
    if v is not None:
        if not isinstance(v, Mapping) or set(v) - {"max_share", "ramp_weeks"}:
            raise DataError(f"{where}.substitution: expected {{max_share, ramp_weeks}}")
        if "max_share" in v or base is None:
            kw["max_substitution"] = _num(v.get("max_share"), f"{where}.substitution.max_share", strict, 0, 1)
        if "ramp_weeks" in v or base is None:
            kw["ramp_weeks"] = _num(v.get("ramp_weeks"), f"{where}.substitution.ramp_weeks", strict, 1, 1040)
    v = get("users")
    if v is not None:
        if not isinstance(v, list) or not v:
            raise DataError(f"{where}.users: expected a non-empty list")
        kw["users"] = tuple(_user(u, f"{where}.users[{k}]", strict) for k, u in enumerate(v))
    if "parts" in d:  # null removes the parts channel of a base product
        kw["parts"] = None if d["parts"] is None else _parts(d["parts"], f"{where}.parts", strict)
    kw.setdefault("parts", None)
    prod = Product(**kw)
    if strict and prod.parts is not None:
        users = {u.industry for u in prod.users}
        missing = [i for i in prod.parts.industries if i not in users]
        if missing:
            raise DataError(f"{where}.parts: {missing} are not users of the product (their intensity weighs the parts)")
    return prod


def _parts(d: Any, where: str, strict: bool) -> Parts:
    if not isinstance(d, Mapping) or set(d) - {"industries", "source", "date", "note"} or "industries" not in d:
        raise DataError(f"{where}: expected {{industries, source, date, note}} (industries: a list of ICIO industries)")
    ind = d["industries"]
    if isinstance(ind, str) or not isinstance(ind, Sequence) or not ind:
        raise DataError(f"{where}.industries: expected a non-empty list of industries, got {ind!r}")
    pt = Parts(tuple(str(i) for i in ind), str(d.get("source", "")), str(d.get("date", "")), str(d.get("note", "")))
    if strict and (not pt.source or not pt.date):
        raise DataError(f"{where}: the parts channel in the shipped registry needs a source and a date")
    return pt


def parse_registry(data: Mapping, where: str, *, strict: bool = False, base: Registry | None = None) -> Registry:
    """A :class:`Registry` from parsed YAML; ``base`` products are updated or extended."""
    if not isinstance(data, Mapping) or "products" not in data:
        raise DataError(f"{where}: a registry file is a mapping with a 'products' key")
    unknown = set(data) - {"version", "sources", "products", "links"}
    if unknown:
        raise DataError(f"{where}: unknown top-level keys {sorted(unknown)}")
    products = dict(base.products) if base else {}
    sources = dict(base.sources) if base else {}
    sources.update({str(k): str(v) for k, v in (data.get("sources") or {}).items()})
    for pid, d in (data["products"] or {}).items():
        if not isinstance(d, Mapping):
            raise DataError(f"{where}: products.{pid}: expected a mapping")
        products[str(pid)] = _product(str(pid), d, f"{where}: products.{pid}", strict, products.get(str(pid)))
    links = tuple(base.links) if base else ()
    if "links" in data:  # a user file's links replace the shipped list ([] removes them all)
        links = tuple(_link(d, f"{where}: links[{k}]", strict) for k, d in enumerate(data["links"] or []))
    if strict:
        for p in products.values():
            for s in _all_numbers(p):
                if s.source not in sources:
                    raise DataError(f"{where}: products.{p.id} cites unknown source {s.source!r}")
        for k, ln in enumerate(links):
            if ln.source not in sources:
                raise DataError(f"{where}: links[{k}] cites unknown source {ln.source!r}")
        for p in products.values():
            if p.parts is not None and p.parts.source not in sources:
                raise DataError(f"{where}: products.{p.id}.parts cites unknown source {p.parts.source!r}")
    return Registry(products, sources, str(data.get("version", base.version if base else "")), links)


def _link(d: Any, where: str, strict: bool) -> Link:
    if (
        not isinstance(d, Mapping)
        or set(d) - {"buyer", "input", "source", "date", "note"}
        or not {"buyer", "input"} <= set(d)
    ):
        raise DataError(f"{where}: expected {{buyer, input, source, date, note}} (ICIO industries or world sectors)")
    ln = Link(
        str(d["buyer"]), str(d["input"]), str(d.get("source", "")), str(d.get("date", "")), str(d.get("note", ""))
    )
    if strict and (not ln.source or not ln.date):
        raise DataError(f"{where}: every link in the shipped registry needs a source and a date")
    return ln


def _all_numbers(p: Product):
    yield from p.supplier_shares.values()
    for s in p.sourcing.values():
        yield from s.values()
    yield from (p.transit_weeks, p.refill_weeks, p.surge, p.max_substitution, p.ramp_weeks)
    for u in p.users:
        yield from (u.intensity, u.criticality, u.inventory_days)
        for ov in u.countries.values():
            yield from ov.values()


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read registry file {str(path)!r}: {exc}") from None
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML: {exc}") from None


def shipped_registry_path() -> Path:
    return Path(str(resources.files("detente") / "data" / "critical_inputs.yaml"))


#: the shipped registry, parsed once per version of its file: (path, mtime, size) -> Registry
#: (its products are frozen; callers get copies of the top-level mappings)
_SHIPPED: dict[tuple, Registry] = {}


def load_registry(extra: str | os.PathLike | Sequence[str | os.PathLike] | None = None) -> Registry:
    """The shipped registry (strict: every number sourced and dated), updated by ``extra`` file(s)."""
    path = shipped_registry_path()
    try:
        st = path.stat()
        key: tuple | None = (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None  # _read_yaml names the file
    reg = _SHIPPED.get(key) if key is not None else None
    if reg is None:
        reg = parse_registry(_read_yaml(path), str(path), strict=True)
        if key is not None:
            _SHIPPED.clear()
            _SHIPPED[key] = reg
    # each caller gets its own top-level mappings (the cached one stays as parsed)
    reg = dataclasses.replace(reg, products=dict(reg.products), sources=dict(reg.sources))
    if extra is None:
        return reg
    for p in [extra] if isinstance(extra, (str, os.PathLike)) else extra:
        reg = parse_registry(_read_yaml(Path(p)), str(p), base=reg)
    return reg


# ------------------------------------------------------------------------- mapping to a world
def _compact_tables():
    from detente.world._build import COMPACT_REGIONS, COMPACT_SECTORS

    return COMPACT_REGIONS, COMPACT_SECTORS


def world_countries_of(code: str, world) -> list[int]:
    """World country positions that a registry country code stands for (a user key).

    A world label maps to itself; a compact region (``EUR``) in a full world maps to its
    members; an ISO3 member of a compact region in a compact world maps to the region.
    """
    regions, _ = _compact_tables()
    if code in world.countries:
        return [world.countries.index(code)]
    if code in regions:
        return [world.countries.index(c) for c in regions[code] if c in world.countries]
    for reg, members in regions.items():
        if code in members and reg in world.countries:
            return [world.countries.index(reg)]
    return []


def supplier_country(code: str, world) -> int | None:
    """The world country that supplies for registry code ``code`` (else ROW, else None)."""
    idx = world_countries_of(code, world)
    if len(idx) == 1:
        return idx[0]
    if idx:  # a region in a full world: the largest member is the supplier
        return max(idx, key=lambda i: float(world.gross_output[i].sum()))
    return world.countries.index("ROW") if "ROW" in world.countries else None


def world_sector_of(industry: str, world) -> int | None:
    """The world sector holding ICIO ``industry`` (itself, or its compact group)."""
    _, sectors = _compact_tables()
    if industry in world.sectors:
        return world.sectors.index(industry)
    for grp, members in sectors.items():
        if industry in members and grp in world.sectors:
            return world.sectors.index(grp)
    return None


@dataclasses.dataclass(frozen=True, eq=False)
class CriticalArrays:
    """The registry on a world's labels: plain arrays for the kernel.

    Axes: ``p`` product, ``n`` user country, ``i`` supplier country, ``u`` user node
    (a (country, sector) with at least one critical input; ``user_nodes`` holds their
    flat positions ``n * J + j``).

    - ``sourcing_pni`` (P, N, N): share of country n's use of p supplied by i (rows can
      sum to less than 1: the rest comes from suppliers outside the world's labels and
      is never restricted)
    - ``criticality_up``, ``cover_up`` (weeks), ``intensity_up`` (U, P); criticality 0
      where u does not use p
    - ``transit_p``, ``refill_p``, ``surge_p``, ``max_subst_p``, ``ramp_p`` (P,)
    - ``parts_origin_pud`` (P, U, N): share of user u's content of p whose product was
      bought *as the product* by makers in country d (:func:`parts_origins`; the parts
      channel). One at u's own country for a product without a ``parts`` entry.
    """

    products: tuple[str, ...]
    user_nodes: np.ndarray
    sourcing_pni: np.ndarray
    criticality_up: np.ndarray
    cover_up: np.ndarray
    intensity_up: np.ndarray
    transit_p: np.ndarray
    refill_p: np.ndarray
    surge_p: np.ndarray
    max_subst_p: np.ndarray
    ramp_p: np.ndarray
    parent_p: np.ndarray
    parts_origin_pud: np.ndarray | None = None


def parts_origins(io_nkj: np.ndarray, pi_nik: np.ndarray, mu_nk: np.ndarray, parts: Sequence[int]) -> np.ndarray:
    """(N*J, N) share of each node's content of a product bought as the product in country d.

    The parts channel (docs/shortage.md, 'The parts channel'). Node (n, j) buys parts of
    the parts industries ``parts`` (sector positions kappa) from origin k; the product
    content of that purchase is ``c = gamma_{n kappa j} pi_{n k kappa} mu_{k kappa}``
    (``io_nkj`` the input shares gamma (N, K, J), ``pi_nik`` the trade shares (N, I, K),
    ``mu_nk`` (N, K) the makers' intensity of the product). With ``w`` these contents
    as shares of the node's total:

    - the domestic share ``delta_nj = sum_kappa w_{nj, n kappa}`` is bought directly
      (the node's and its domestic parts makers' own sourcing and approvals);
    - the share ``w_{nj, k kappa}`` from abroad (k != n) inherits the origin node's own
      split: ``G_nj = delta_nj e_n + sum_{k != n, kappa} w_{nj, k kappa} G_{k kappa}``,
      a linear system over the parts nodes, solved exactly (the Leontief inverse of the
      import shares; rows of G sum to one).

    A node that buys none of the parts (or whose parts carry none of the product) buys
    all of it directly: ``G = e_n``.
    """
    g = np.asarray(io_nkj, dtype=float)
    pi = np.asarray(pi_nik, dtype=float)
    mu = np.asarray(mu_nk, dtype=float)
    N, K, J = g.shape
    ks = np.asarray(list(parts), dtype=int)
    eye = np.eye(N)
    G = np.repeat(eye, J, axis=0)  # (N*J, N): node m = n*J + j buys directly
    if ks.size == 0:
        return G
    # c[n, j, k, a]: content of node (n, j)'s purchases of parts sector ks[a] from k
    c = g[:, ks, :].transpose(0, 2, 1)[:, :, None, :] * pi[:, :, ks][:, None, :, :] * mu[:, ks][None, None, :, :]
    tot = c.sum(axis=(2, 3))  # (N, J)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(tot[:, :, None, None] > 0, c / np.where(tot > 0, tot, 1.0)[:, :, None, None], 0.0)
    own = w[np.arange(N), :, np.arange(N), :].sum(axis=-1)  # (N, J) domestic share delta
    delta = np.where(tot > 0, own, 1.0)
    w[np.arange(N), :, np.arange(N), :] = 0.0  # imports only: W[(n, j), (k, a)]
    W = w.reshape(N * J, N * ks.size)
    B = delta.reshape(N * J)[:, None] * G  # (N*J, N): delta_nj e_n
    pn = (np.arange(N)[:, None] * J + ks[None, :]).reshape(-1)  # parts nodes (k, a) in W's column order
    try:
        G_parts = np.linalg.solve(np.eye(pn.size) - W[pn], B[pn])
    except np.linalg.LinAlgError:
        raise DataError("parts channel: the import shares of the parts makers form a closed loop") from None
    return B + W @ G_parts


def map_registry(registry: Registry, world, products: Sequence[str] | None = None) -> CriticalArrays:
    """Map ``registry`` (or the ``products`` of it) onto ``world``'s countries and sectors.

    Several registry industries in one world sector (C301 and C302T309 in
    OTHER_TRANSPORT) are merged: criticality and intensity are averaged, inventory
    cover is the minimum (the first to run out stops the line).
    """
    ids = tuple(products) if products is not None else registry.ids
    prods = [registry[i] for i in ids]
    N, J = world.n_countries, world.n_sectors
    P = len(prods)
    sourcing = np.zeros((P, N, N))
    crit = np.zeros((P, N, J))
    cover = np.full((P, N, J), np.inf)
    inten = np.zeros((P, N, J))
    count = np.zeros((P, N, J))
    parent = np.zeros(P, dtype=int)
    for p, prod in enumerate(prods):
        ps = world_sector_of(prod.parent, world)
        if ps is None:
            raise DataError(
                f"critical input {prod.id!r}: parent industry {prod.parent!r} is not in world "
                f"{world.meta.name!r} nor in a compact sector group"
            )
        parent[p] = ps
        default = np.zeros(N)
        for code, share in prod.shares_for("").items():
            i = supplier_country(code, world)
            if i is not None:
                default[i] += share
        sourcing[p] = default
        for key in prod.sourcing:
            row = np.zeros(N)
            for code, share in prod.shares_for(key).items():
                i = supplier_country(code, world)
                if i is not None:
                    row[i] += share
            for n in world_countries_of(key, world):
                sourcing[p, n] = row
        for u in prod.users:
            j = world_sector_of(u.industry, world)
            if j is None:
                continue
            for n in range(len(world.countries)):
                # an override keyed by a region or a member applies to the world country
                ukey = next((k for k in u.countries if n in world_countries_of(k, world)), None)
                crit[p, n, j] += u.value("criticality", ukey)
                inten[p, n, j] += u.value("intensity", ukey)
                cover[p, n, j] = min(cover[p, n, j], u.value("inventory_days", ukey) / 7.0)
                count[p, n, j] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        crit = np.where(count > 0, crit / np.maximum(count, 1), 0.0)
        inten = np.where(count > 0, inten / np.maximum(count, 1), 0.0)
    cover = np.where(np.isfinite(cover), cover, 0.0)
    used = (crit > 0).any(axis=0).reshape(-1)  # (N*J,)
    user_nodes = np.flatnonzero(used)
    origin = np.zeros((P, user_nodes.size, N))
    for p, prod in enumerate(prods):
        found = [] if prod.parts is None else [world_sector_of(i, world) for i in prod.parts.industries]
        ks = sorted({k for k in found if k is not None})
        origin[p] = parts_origins(world.io_shares, world.trade_shares, inten[p], ks)[user_nodes]

    def per_user(a):  # (P, N, J) -> (U, P)
        return np.ascontiguousarray(a.reshape(P, N * J)[:, user_nodes].T)

    def vec(f):
        return np.array([float(getattr(pr, f).value) for pr in prods])

    return CriticalArrays(
        ids,
        user_nodes,
        sourcing,
        per_user(crit),
        per_user(cover),
        per_user(inten),
        vec("transit_weeks").round().astype(int),
        vec("refill_weeks"),
        vec("surge"),
        vec("max_substitution"),
        vec("ramp_weeks"),
        parent,
        origin,
    )
