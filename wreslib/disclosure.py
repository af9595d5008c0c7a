"""Can a hidden count be worked out? Each one's feasible range, by linear programming (SPEC §6).

A published output hides counts from 1 to 9 (``<10``) and some others (``[c]``). A reader who
knows the sums the figures make up (the three groups of a measure add to its total, adults and
children add to all services, the pay bands add to staff in post) can set up every published
count and every such relation and solve for the smallest and largest value each hidden count can
take. A hidden count is safe only where that range holds at least two whole numbers. This module
does exactly that, with ``scipy.optimize.linprog`` (HiGHS), one connected group of hidden counts
at a time so each programme stays small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from wreslib.config import Config
from wreslib.measures import ALL_SERVICES, SERVICES, indicator_table, pay_band_measures

GROUPS = ("gm", "white", "unknown")
KINDS = ("events", "denominator")
CELL = ["authority_code", "year", "service", "measure", "group"]
TOTALS_SHOWN = ("staff_in_post",)  # measures whose all-groups total a report prints beside the groups


@dataclass(frozen=True)
class Relation:
    """A sum a reader can rebuild: ``sum(coefficient * cell) == total``."""

    cells: tuple[tuple, ...]
    coefficients: tuple[float, ...]
    total: float


def published_cells(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """One row per distinct count in an indicator table: its key, the text shown and, where the
    table holds numbers, the value. ``shown`` is the published text (digits, ``<10`` or ``[c]``)."""
    defs = indicator_table(config).set_index("indicator")
    parts = []
    for kind in KINDS:
        measure = frame["indicator"].map(defs[kind])
        for g in GROUPS:
            parts.append(pd.DataFrame({
                "authority_code": frame["authority_code"].astype(str).to_numpy(),
                "year": frame["year"].astype(int).to_numpy(),
                "service": frame["service"].astype(str).to_numpy(),
                "measure": measure.to_numpy(),
                "group": g,
                "shown": frame[f"{g}_{kind}"].astype("string").fillna("").to_numpy(),
            }))
    cells = pd.concat(parts, ignore_index=True).drop_duplicates(CELL).reset_index(drop=True)
    return cells[cells["shown"] != ""].reset_index(drop=True)


def relations(truth: pd.DataFrame, config: Config) -> list[Relation]:
    """The sums a reader knows, with their true totals, from the unsuppressed cells (``value`` column).

    A measure's total over the three groups is known where a report prints it (staff in post, in
    the workforce table); the pay-band sum enters only where it really holds in the data.
    """
    value = {tuple(k): v for k, v in zip(truth[CELL].itertuples(index=False, name=None), truth["value"],
                                         strict=True)}
    out: list[Relation] = []
    staff = truth[truth["measure"].isin(TOTALS_SHOWN)]
    for _, part in staff.groupby(["authority_code", "year", "service", "measure"], sort=False):
        keys = tuple(part[CELL].itertuples(index=False, name=None))
        if len(keys) == len(GROUPS):
            out.append(Relation(keys, (1.0,) * len(keys), float(part["value"].sum())))
    for (code, year, measure, group), part in truth.groupby(["authority_code", "year", "measure", "group"],
                                                           sort=False):
        present = set(part["service"])
        if {*SERVICES, ALL_SERVICES} <= present:
            cells = tuple((code, year, s, measure, group) for s in (*SERVICES, ALL_SERVICES))
            out.append(Relation(cells, (1.0, 1.0, -1.0), 0.0))
    bands = pay_band_measures(config)
    for (code, year, service, group), part in truth.groupby(["authority_code", "year", "service", "group"],
                                                           sort=False):
        measures = set(part["measure"])
        if "staff_in_post" in measures and set(bands) <= measures:
            cells = tuple((code, year, service, m, group) for m in (*bands, "staff_in_post"))
            if sum(value[c] for c in cells[:-1]) == value[cells[-1]]:
                out.append(Relation(cells, (1.0,) * len(bands) + (-1.0,), 0.0))
    return out


def _bounds(shown: str, small_numbers: int) -> tuple[float, float | None]:
    return (1.0, float(small_numbers - 1)) if shown.startswith("<") else (0.0, None)


def feasible_ranges(cells: pd.DataFrame, known: list[Relation], config: Config) -> pd.DataFrame:
    """Smallest and largest value of every hidden cell given the published ones and the relations.

    ``cells`` is :func:`published_cells` output. Returns the hidden cells with ``low``, ``high`` and
    ``safe`` (the range holds at least two whole numbers).
    """
    shown = dict(zip(cells[CELL].itertuples(index=False, name=None), cells["shown"], strict=True))
    hidden = [k for k, s in shown.items() if not s.isdigit()]
    if not hidden:
        return cells.iloc[0:0].assign(low=[], high=[], safe=[])
    index = {k: i for i, k in enumerate(hidden)}
    parent = list(range(len(hidden)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = []
    for rel in known:
        if not all(c in shown for c in rel.cells):
            continue
        members = [index[c] for c in rel.cells if c in index]
        if not members:
            continue
        constant = sum(coef * float(shown[c]) for c, coef in zip(rel.cells, rel.coefficients, strict=True)
                       if c not in index)
        rows.append(({index[c]: coef for c, coef in zip(rel.cells, rel.coefficients, strict=True) if c in index},
                     rel.total - constant))
        for m in members[1:]:
            parent[find(m)] = find(members[0])
    components: dict[int, list[int]] = {}
    for i in range(len(hidden)):
        components.setdefault(find(i), []).append(i)
    low = np.zeros(len(hidden))
    high = np.full(len(hidden), math.inf)
    for members in components.values():
        local = {v: j for j, v in enumerate(members)}
        equations = [(coefs, rhs) for coefs, rhs in rows if next(iter(coefs)) in local]
        bounds = [_bounds(shown[hidden[v]], config.small_numbers) for v in members]
        a_eq = np.zeros((len(equations), len(members)))
        for r, (coefs, _) in enumerate(equations):
            for v, coef in coefs.items():
                a_eq[r, local[v]] = coef
        b_eq = np.array([rhs for _, rhs in equations]) if equations else None
        for v in members:
            for sign in (1.0, -1.0):
                objective = np.zeros(len(members))
                objective[local[v]] = sign
                result = linprog(objective, A_eq=a_eq if equations else None, b_eq=b_eq, bounds=bounds,
                                 method="highs")
                if result.status == 3:  # unbounded: the count can be arbitrarily large
                    high[v] = math.inf
                elif result.status == 0:
                    if sign > 0:
                        low[v] = result.fun
                    else:
                        high[v] = -result.fun
    out = pd.DataFrame(hidden, columns=CELL)
    out["shown"] = [shown[k] for k in hidden]
    out["low"], out["high"] = low, high
    whole = np.floor(out["high"] + 1e-6) - np.ceil(out["low"] - 1e-6) + 1
    out["safe"] = whole >= 2
    return out


def protect(truth: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Primary suppression, then the least secondary suppression that leaves every hidden count safe.

    ``truth`` is :func:`published_cells` output with a numeric ``value``. Counts 1..threshold-1 are
    hidden first; then, while a hidden count can be worked out, one more count of a relation it is
    in is hidden: a service-level count before an all-services one (so a council's all-services
    findings stay visible), a non-zero count before a zero, the smallest first. Returns ``truth``
    with ``shown`` set to the published text.
    """
    cells = truth.copy()
    small = (cells["value"] >= 1) & (cells["value"] < config.small_numbers)
    cells["shown"] = np.where(small, f"<{config.small_numbers}",
                              cells["value"].astype("int64").astype(str))
    known = relations(cells, config)
    member_of: dict[tuple, list[Relation]] = {}
    for rel in known:
        for c in rel.cells:
            member_of.setdefault(c, []).append(rel)
    keys = list(cells[CELL].itertuples(index=False, name=None))
    position = {k: i for i, k in enumerate(keys)}
    values = cells["value"].to_numpy()
    services = cells["service"].to_numpy()
    shown = cells["shown"].to_numpy(dtype=object)
    for _ in range(len(keys)):
        ranges = feasible_ranges(cells.assign(shown=shown), known, config)
        unsafe = ranges[~ranges["safe"]]
        if unsafe.empty:
            break
        touched: set[int] = set()
        for key in unsafe[CELL].itertuples(index=False, name=None):
            rels = member_of.get(key, [])
            if any(id(rel) in touched for rel in rels):
                continue  # a complement added this round may already free it
            candidates = {c for rel in rels for c in rel.cells
                          if c in position and str(shown[position[c]]).isdigit()}
            if not candidates:
                continue
            best = min(candidates, key=lambda c: (services[position[c]] == ALL_SERVICES, values[position[c]] == 0,
                                                  values[position[c]]))
            shown[position[best]] = "[c]"
            touched |= {id(rel) for rel in member_of.get(best, [])} | {id(rel) for rel in rels}
        if not touched:
            break
    return cells.assign(shown=shown)


def audit_frame(published: pd.DataFrame, truth: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Every hidden cell of a published indicator table with its feasible range (``truth``: the same
    table unsuppressed, for the relations' totals)."""
    true_cells = published_cells(truth, config)
    true_cells["value"] = true_cells["shown"].astype(float)
    return feasible_ranges(published_cells(published, config), relations(true_cells, config), config)


def audit_folder(folder: str | Path, truth: pd.DataFrame, config: Config) -> pd.DataFrame:
    """:func:`audit_frame` for a published report folder's ``indicators.csv``."""
    published = pd.read_csv(Path(folder) / "indicators.csv", dtype=str, keep_default_na=False)
    published["year"] = published["year"].astype(int)
    return audit_frame(published, truth, config)
