"""Encoding xarray variables into the store's long tables and back (exact round trip).

Used by :mod:`detente.store._store`; see docs/store.md for the table layout.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from detente.errors import StoreError
from detente.store._records import jsonable

DATE = "date"  # the dimension along which identical slices are stored once


# ---------------------------------------------------------------------------- encoding
@dataclasses.dataclass(frozen=True)
class _Encoded:
    name: str
    role: str  # "data" or "coord" (a non-index coordinate)
    dims: tuple[str, ...]
    dtype: str
    codec: str  # float | int | bool | str | bigint | datetime | timedelta
    attrs: dict
    by_date: bool
    slice_dims: tuple[str, ...]
    slice_shape: tuple[int, ...]
    slice_labels: list[list[str]]
    date_slice: np.ndarray | None  # (n_dates,) slice number of each date
    dates: np.ndarray | None  # (n_dates,) datetime64[us] or None
    values: np.ndarray  # (n_slices * slice size,) float64 or object (str)

    @property
    def by_date_slice(self) -> np.ndarray:
        """``date_slice`` of a variable by date (always set when ``by_date``)."""
        assert self.date_slice is not None, f"{self.name} is not by date"
        return self.date_slice

    @property
    def n_slices(self) -> int:
        return len(self.values) // max(int(np.prod(self.slice_shape, dtype=np.int64)), 1)


def _stored_variables(ds) -> list[tuple[str, Any]]:
    """Data variables, then non-index coordinates (index coordinates go to ``runs.dims``)."""
    extra = [(str(k), ds.coords[k]) for k in ds.coords if k not in ds.indexes]
    return [(str(k), ds[k]) for k in ds.data_vars] + extra


def _labels(ds, dim: str) -> np.ndarray:
    if dim not in ds.coords:
        return np.arange(ds.sizes[dim]).astype(str)
    v = ds[dim].values
    return np.datetime_as_string(v) if v.dtype.kind == "M" else np.array([str(x) for x in v.tolist()], dtype=object)


def _codec(name: str, a: np.ndarray) -> tuple[str, np.ndarray]:
    """(codec, flat values as float64 or object strings) for array ``a``."""
    k = a.dtype.kind
    flat = a.reshape(-1)
    if k == "f" and a.dtype.itemsize <= 8:
        return "float", flat.astype(np.float64)
    if k == "b":
        return "bool", flat.astype(np.float64)
    if k in "iu":
        if flat.size == 0 or np.abs(flat.astype(np.float64)).max() <= 2**53:
            return "int", flat.astype(np.float64)
        return "bigint", np.array([str(x) for x in flat.tolist()], dtype=object)
    if k == "U":
        return "str", flat.astype(object)
    if k == "O":  # text; xarray holds missing text as NaN (stored as NULL, read back as NaN)
        items = flat.tolist()
        if all(x is None or isinstance(x, str) or (isinstance(x, float) and math.isnan(x)) for x in items):
            return "str", np.array([x if isinstance(x, str) else None for x in items], dtype=object)
        raise StoreError(f"variable {name!r} holds Python objects other than strings; store numbers or text")
    if k == "M":
        return "datetime", np.datetime_as_string(flat).astype(object)
    if k == "m":
        return "timedelta", np.array([str(x) for x in flat.view(np.int64).tolist()], dtype=object)
    raise StoreError(
        f"variable {name!r} has dtype {a.dtype}, which the store cannot hold exactly; "
        "use float, int, bool, text or datetime"
    )


def _encode(name: str, var, ds) -> _Encoded:
    dims = tuple(str(d) for d in var.dims)
    a = np.asarray(var.values)
    by_date = DATE in dims
    if by_date:
        a = np.moveaxis(a, dims.index(DATE), 0)
    slice_dims = tuple(d for d in dims if d != DATE)
    slice_shape = tuple(int(ds.sizes[d]) for d in slice_dims)
    codec, flat = _codec(name, a)
    date_slice = dates = None
    if by_date:
        T = a.shape[0]
        rows = flat.reshape(T, -1)
        seen: dict[Any, int] = {}
        date_slice = np.empty(T, dtype=np.int32)
        for t in range(T):
            key = rows[t].tobytes() if rows.dtype != object else tuple(rows[t].tolist())
            date_slice[t] = seen.setdefault(key, len(seen))
        first = np.unique(date_slice, return_index=True)[1]
        flat = rows[first].reshape(-1)
        if DATE in ds.coords and ds[DATE].dtype.kind == "M":
            dates = ds[DATE].values.astype("datetime64[us]")
    return _Encoded(
        name,
        "coord" if name in ds.coords else "data",
        dims,
        str(var.dtype),
        codec,
        jsonable(dict(var.attrs)),
        by_date,
        slice_dims,
        slice_shape,
        [_labels(ds, d).tolist() for d in slice_dims],
        date_slice,
        dates,
        flat,
    )


def _insert_variables(con, run_id: str, encoded: list[_Encoded]) -> None:
    """The ``variables`` rows (one statement) and the ``slices`` of dated variables."""
    import pandas as pd

    params: list[Any] = []
    for k, e in enumerate(encoded):
        strides = [int(np.prod(e.slice_shape[i + 1 :], dtype=np.int64)) for i in range(len(e.slice_shape))]
        params += [
            run_id,
            e.name,
            k,
            e.role,
            list(e.dims),
            e.dtype,
            e.codec,
            _json(e.attrs),
            e.by_date,
            list(e.slice_dims),
            list(e.slice_shape),
            strides,
            e.slice_labels,
            e.n_slices,
        ]
    if encoded:
        row = "(" + ", ".join(["?"] * 14) + ")"
        con.execute(f"INSERT INTO variables VALUES {', '.join([row] * len(encoded))}", params)
    dated = [e for e in encoded if e.by_date]
    if dated:
        frame = pd.DataFrame(
            {
                "variable": pd.Categorical.from_codes(
                    np.repeat(np.arange(len(dated)), [len(e.by_date_slice) for e in dated]),
                    categories=pd.Index([e.name for e in dated], dtype=object),
                ),
                "date_pos": np.concatenate([np.arange(len(e.by_date_slice), dtype=np.int32) for e in dated]),
                "date": np.concatenate(
                    [
                        e.dates
                        if e.dates is not None
                        else np.full(len(e.by_date_slice), np.datetime64("NaT"), "datetime64[us]")
                        for e in dated
                    ]
                ),
                "slice": np.concatenate([e.date_slice for e in dated]),
            }
        )
        con.register("_chunk", frame)
        con.execute("INSERT INTO slices SELECT ?, variable, date_pos, date, slice FROM _chunk", [run_id])
        con.unregister("_chunk")


CHUNK = 1 << 17  # rows per insert (about one DuckDB row group)


def _value_batches(encoded: list[_Encoded]) -> Iterator[tuple[str, Any]]:
    """(table, frame) batches of at most :data:`CHUNK` rows: variable, slice, pos, v."""
    import pandas as pd

    for table, group in (
        ("numbers", [e for e in encoded if e.values.dtype != object]),
        ("strings", [e for e in encoded if e.values.dtype == object]),
    ):
        if not group:
            continue
        sizes = [max(int(np.prod(e.slice_shape, dtype=np.int64)), 1) for e in group]
        var = np.repeat(np.arange(len(group), dtype=np.int32), [len(e.values) for e in group])
        sl = np.concatenate([np.repeat(np.arange(len(e.values) // n, dtype=np.int32), n) for e, n in zip(group, sizes)])
        pos = np.concatenate([np.tile(np.arange(n, dtype=np.int32), len(e.values) // n) for e, n in zip(group, sizes)])
        v = np.concatenate([e.values for e in group])
        names = pd.Index([e.name for e in group], dtype=object)
        for lo in range(0, len(v), CHUNK):
            hi = lo + CHUNK
            yield (
                table,
                pd.DataFrame(
                    {
                        "variable": pd.Categorical.from_codes(var[lo:hi], categories=names),
                        "slice": sl[lo:hi],
                        "pos": pos[lo:hi],
                        "v": v[lo:hi],
                    }
                ),
            )


def _fetch(con, sql: str, params: list) -> dict[str, np.ndarray]:
    """Columns of a query as arrays; NULL as NaN (numbers) or None (text)."""
    out = {}
    for k, col in con.execute(sql, params).fetchnumpy().items():
        if isinstance(col, np.ma.MaskedArray):
            mask = np.ma.getmaskarray(col)
            text = col.dtype == object
            col = np.asarray(col.data, dtype=object if text else np.float64).copy()
            col[mask] = None if text else np.nan
        out[k] = np.asarray(col)
    return out


def _groups(ordinal: np.ndarray) -> dict[int, np.ndarray]:
    """Row indices by variable ordinal."""
    order = np.argsort(ordinal, kind="stable")
    keys, starts = np.unique(ordinal[order], return_index=True)
    return {int(k): idx for k, idx in zip(keys, np.split(order, starts[1:]))}


def _load_variables(con, run_id: str, vrows: list) -> dict[str, tuple[str, Any]]:
    """{name: (role, xarray.Variable)} for the ``variables`` rows ``vrows``."""
    import xarray as xr

    wanted = [v[0] for v in vrows]
    join = (
        "FROM {t} x JOIN variables v ON v.run_id = x.run_id AND v.variable = x.variable "
        "WHERE x.run_id = ? AND list_contains(?, x.variable)"
    )
    nums = _fetch(con, "SELECT v.ordinal, x.slice, x.pos, x.value " + join.format(t="numbers"), [run_id, wanted])
    strs = _fetch(con, "SELECT v.ordinal, x.slice, x.pos, x.text " + join.format(t="strings"), [run_id, wanted])
    sls = _fetch(con, "SELECT v.ordinal, x.date_pos, x.slice " + join.format(t="slices"), [run_id, wanted])
    g_num, g_str, g_sl = _groups(nums["ordinal"]), _groups(strs["ordinal"]), _groups(sls["ordinal"])
    empty = np.zeros(0, dtype=np.int64)
    out = {}
    for name, role, dims, dtype, codec, attrs, by_date, slice_shape, n_slices, ordinal in vrows:
        size = int(np.prod(slice_shape, dtype=np.int64))
        text = codec not in ("float", "int", "bool")
        got, col = (strs, "text") if text else (nums, "value")
        rows = (g_str if text else g_num).get(ordinal, empty)
        buf = np.full((n_slices, size), None if text else np.nan, dtype=object if text else np.float64)
        buf[got["slice"][rows], got["pos"][rows]] = got[col][rows]
        if by_date:
            rows = g_sl.get(ordinal, empty)
            order = np.empty(len(rows), dtype=np.int64)
            order[sls["date_pos"][rows]] = sls["slice"][rows]
            a = _decode_values(buf[order].reshape(-1), codec, np.dtype(dtype))
            a = np.moveaxis(a.reshape(len(order), *slice_shape), 0, list(dims).index(DATE))
        else:
            a = _decode_values(buf.reshape(-1), codec, np.dtype(dtype)).reshape(slice_shape)
        out[name] = (role, xr.Variable(tuple(dims), a, attrs=json.loads(attrs)))
    return out


def _decode_values(flat: np.ndarray, codec: str, dtype: np.dtype) -> np.ndarray:
    if codec in ("float", "int", "bool"):
        return flat.astype(dtype)
    if codec == "str":
        if np.dtype(dtype) == np.dtype(object):
            return np.array([np.nan if x is None else x for x in flat.tolist()], dtype=object)
        return np.array(flat.tolist(), dtype=dtype)
    if codec == "bigint":
        return np.array([int(x) for x in flat.tolist()], dtype=dtype)
    if codec == "datetime":
        return np.array(flat.tolist(), dtype=dtype)
    if codec == "timedelta":
        return np.array([int(x) for x in flat.tolist()], dtype=np.int64).view(dtype)
    raise StoreError(f"unknown value codec {codec!r} in the store (written by a newer detente?)")


def _encode_dims(ds) -> dict:
    out = {}
    for dim, size in ds.sizes.items():
        if dim in ds.indexes:
            c = ds[dim]
            v = c.values
            values = np.datetime_as_string(v).tolist() if v.dtype.kind in "Mm" else v.tolist()
            if v.dtype.kind == "m":
                values = v.view(np.int64).tolist()
            out[str(dim)] = {
                "size": int(size),
                "dtype": str(v.dtype),
                "values": values,
                "attrs": jsonable(dict(c.attrs)),
            }
        else:
            out[str(dim)] = {"size": int(size)}
    return out


def _decode_dims(dims: dict) -> dict:
    import xarray as xr

    coords = {}
    for dim, d in dims.items():
        if "values" not in d:
            continue
        dtype = np.dtype(d["dtype"])
        values = (
            np.array(d["values"], dtype=np.int64).view(dtype)
            if dtype.kind == "m"
            else np.array(d["values"], dtype=dtype)
        )
        coords[dim] = xr.Variable((dim,), values, attrs=d.get("attrs", {}))
    return coords


def _json(x: Any) -> str:
    return json.dumps(jsonable(x), allow_nan=False)
