"""Charts for the reports, each returned with alt text written from its data.

Colours follow the Government Analysis Function palette, in order; a council and England
(two series) are #12436D and #F46A25. Colour is never the only cue: series differ in
marker shape and line style, and values are labelled. Every chart has a headline title and
a statistical subtitle; ratios use a log scale with 1 marked and the non-adverse range
shaded. Each report puts a table of the same figures beside each chart.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator  # noqa: E402

from wreslib.config import Config  # noqa: E402
from wreslib.wording import format_ratio  # noqa: E402

PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
TWO_SERIES = ("#12436D", "#F46A25")
SERVICE_LABEL = {"adults": "Adults", "children": "Children", "all": "All services"}
RATIO_TICKS = (0.03125, 0.0625, 0.125, 0.25, 0.5, 0.8, 1, 1.25, 2, 4, 8, 16, 32)
RATIO_AXIS_LABEL = "Relative likelihood, Global Majority ÷ white (log scale)"
# For readers without statistics (an audience with plain_language): the same chart, in everyday words.
PLAIN_AXIS_LABEL = "Times as likely as white staff (1 = equally likely)"
WIDTH = 7.2  # inches: the text width of an A4 page with the house margins
DPI = 110  # sharp at the A4 text width on screen and in print; each step up costs drawing time in every report


@dataclass(frozen=True)
class Chart:
    """A rendered chart: PNG bytes plus the alt text that describes it."""

    png: bytes
    alt: str


def _style() -> None:
    matplotlib.rcParams.update({
        "font.family": "DejaVu Sans", "font.size": 8.5, "axes.titlesize": 9, "axes.titleweight": "bold",
        "axes.titlelocation": "left", "axes.edgecolor": "#BBBBBB", "axes.grid": True, "grid.color": "#E6E6E6",
        "grid.linewidth": 0.6, "axes.axisbelow": True, "axes.spines.top": False, "axes.spines.right": False,
        "xtick.color": "#3D3D3D", "ytick.color": "#3D3D3D", "legend.frameon": False, "svg.hashsalt": "wres",
    })


def _figure(height: float, **kwargs) -> tuple[Figure, object]:
    """A figure outside pyplot's registry: nothing to close, nothing kept between charts."""
    _style()
    fig = Figure(figsize=(WIDTH, height))
    return fig, fig.subplots(**kwargs)


def _to_chart(fig: Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return Chart(buffer.getvalue(), " ".join(alt.split()))


def _titles(fig: Figure, title: str, subtitle: str, *, top: float) -> None:
    """Headline title (what the chart shows) and a grey statistical subtitle (what was measured),
    wrapped to the chart's width; ``top`` is the space (inches) left for one line of each."""
    height = fig.get_figheight()
    title_lines = textwrap.wrap(title, 78) or [""]
    subtitle_lines = textwrap.wrap(subtitle, 112) or [""]
    extra = 0.19 * (len(title_lines) - 1) + 0.15 * (len(subtitle_lines) - 1)
    fig.set_figheight(height + extra)
    height += extra
    fig.text(0.01, 1 - 0.1 / height, "\n".join(title_lines), ha="left", va="top", fontsize=11, fontweight="bold",
             color="#0B0C0C", linespacing=1.15)
    fig.text(0.01, 1 - (0.38 + 0.19 * (len(title_lines) - 1)) / height, "\n".join(subtitle_lines), ha="left",
             va="top", fontsize=8.5, color="#3D3D3D", linespacing=1.2)
    bottom = fig.subplotpars.bottom * (height - extra) / height
    fig.subplots_adjust(top=1 - (top + extra) / height, bottom=bottom)


def _alt_lead(config: Config, plain: bool, what: str) -> str:
    """How alt text opens: what kind of chart, and how to read it, in the audience's register."""
    band = f"{config.non_adverse_lower:.2f} to {config.non_adverse_upper:.2f}"
    if plain:
        return (f"{what} of how likely Global Majority staff were compared with white staff, where 1 means "
                f"equally likely and {band} is shaded as broadly equal; values after each colon, with the likely "
                "range in brackets.")
    return (f"{what} of relative likelihoods (Global Majority ÷ white) on a log scale, with the non-adverse range "
            f"{band} shaded and 1 marked; values after each colon, with the 95% interval in brackets.")


def _finite(values) -> np.ndarray:
    array = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(dtype=float)
    return array[np.isfinite(array) & (array > 0)]


def ratio_limits(*values) -> tuple[float, float]:
    """A log axis wide enough for every value shown, and never narrower than 0.4 to 2.5."""
    finite = np.concatenate([_finite(v) for v in values]) if values else np.array([])
    low = min(0.4, float(finite.min()) * 0.85) if finite.size else 0.4
    high = max(2.5, float(finite.max()) * 1.18) if finite.size else 2.5
    return low, high


def _log_ratio_axis(ax: Axes, config: Config, limits: tuple[float, float], axis: str = "x", *,
                    sparse: bool = False) -> None:
    low, high = limits
    if axis == "x":
        ax.set_xscale("log")
        ax.set_xlim(low, high)
        ax.axvspan(config.non_adverse_lower, config.non_adverse_upper, color=PALETTE[1], alpha=0.16, lw=0, zorder=0)
        ax.axvline(1, color=PALETTE[4], linewidth=1.1, zorder=1)
        target = ax.xaxis
    else:
        ax.set_yscale("log")
        ax.set_ylim(low, high)
        ax.axhspan(config.non_adverse_lower, config.non_adverse_upper, color=PALETTE[1], alpha=0.16, lw=0, zorder=0)
        ax.axhline(1, color=PALETTE[4], linewidth=1.1, zorder=1)
        target = ax.yaxis
    wide = high / low > 10
    ticks = [t for t in RATIO_TICKS if low <= t <= high and not ((wide or sparse) and t in (0.8, 1.25))]
    most, step = (5 if sparse else 8), 2
    while len(ticks) > most:  # too many to read: every other power of two (then every fourth …), keeping 1
        ticks = [t for t in ticks if t == 1 or round(math.log2(t)) % step == 0]
        step *= 2
    target.set_major_locator(FixedLocator(ticks))
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def _band_handles(config: Config, plain: bool = False) -> list:
    words = "Broadly equal" if plain else "Non-adverse range"
    band = f"{words} {config.non_adverse_lower:.2f}–{config.non_adverse_upper:.2f}"
    return [
        Patch(color=PALETTE[1], alpha=0.3, label=band),
        Line2D([], [], color=PALETTE[4], linewidth=1.1, label="Equal likelihood (1)"),
    ]


def _place_handles(place: str, national: bool, *, interval: bool = True, lines: bool = True,
                   plain: bool = False) -> list:
    range_words = "likely range" if plain else "95% interval"
    handles = [Line2D([], [], marker="o", color=TWO_SERIES[0], linestyle="-" if lines or interval else "none",
                          markersize=5, label=f"{place} ({range_words})" if interval else place)]
    if national:
        handles.append(Line2D([], [], marker="D", color=TWO_SERIES[1], markeredgecolor="black",
                                  markersize=5, linestyle="--" if lines else "none", label="England"))
    return handles


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series.astype("object"), errors="coerce").to_numpy(dtype=float)


def _ratio_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "rl": _floats(frame["relative_likelihood"]),
        "lo": _floats(frame["ci_lower"]),
        "hi": _floats(frame["ci_upper"]),
    })


def _dots(ax: Axes, position: np.ndarray, values: pd.DataFrame, *, horizontal: bool, offset: float = 0.0,
          line: bool = False) -> None:
    ok = np.isfinite(values["rl"].to_numpy())
    pos = position[ok] + offset
    rl, lo, hi = (values.loc[ok, c].to_numpy() for c in ("rl", "lo", "hi"))
    err = [rl - lo, hi - rl]
    style = dict(fmt="o-" if line else "o", color=TWO_SERIES[0], ecolor=TWO_SERIES[0], capsize=2.5, markersize=5,
                 linewidth=1.2, elinewidth=1.1, zorder=3)
    if horizontal:
        ax.errorbar(rl, pos, xerr=err, **style)
    else:
        ax.errorbar(pos, rl, yerr=err, **style)


def _england(ax: Axes, position: np.ndarray, values: np.ndarray, *, horizontal: bool, offset: float = 0.0,
             line: bool = False) -> None:
    ok = np.isfinite(values)
    pos = position[ok] + offset
    x, y = (values[ok], pos) if horizontal else (pos, values[ok])
    ax.plot(x, y, marker="D", markersize=5, color=TWO_SERIES[1], markeredgecolor="black", markeredgewidth=0.6,
            linestyle="--" if line else "none", linewidth=1, zorder=4)


def _describe(label: str, row, national: float | None = None) -> str:
    if not np.isfinite(row.rl):
        text = f"{label}: not shown"
    else:
        text = f"{label}: {format_ratio(row.rl)} ({format_ratio(row.lo)} to {format_ratio(row.hi)})"
    if national is not None and np.isfinite(national):
        text += f", England {format_ratio(national)}"
    return text


def _reason_text(frame: pd.DataFrame, plain: bool = False) -> list[str]:
    """Why a row has no ratio, in a word or two, for the end of its row."""
    withheld, missing = ("not published", "cannot be worked out") if plain else ("withheld", "not calculable")
    flags = frame["suppressed"].astype("boolean").fillna(False) if "suppressed" in frame else [False] * len(frame)
    return [withheld if bool(flag) else missing for flag in flags]


def _horizontal_ratios(ax: Axes, values: pd.DataFrame, england: np.ndarray | None, reasons: list[str],
                       labels: list[str]) -> None:
    """One row per label: the ratio and its interval, England beside it, the value (or why it is
    missing) written at the end of the row."""
    y = np.arange(len(values), dtype=float)
    _dots(ax, y, values, horizontal=True)
    if england is not None:
        _england(ax, y, england, horizontal=True, offset=0.27)
    for yi, row, missing in zip(y, values.itertuples(), reasons, strict=True):
        if np.isfinite(row.rl):
            ax.annotate(format_ratio(row.rl), (row.hi, yi), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=7.5)
        else:
            ax.annotate(missing, (1, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=7.5,
                        style="italic", color=PALETTE[4])
    ax.set_yticks(y, labels, fontsize=7.5)
    ax.set_ylim(len(values) - 0.42, -0.58)
    ax.grid(axis="y", visible=False)


def ratio_chart(rows: pd.DataFrame, labels: pd.Series, config: Config, *, title: str, subtitle: str,
                place: str, national: pd.Series | None = None, plain: bool = False) -> Chart:
    """Relative likelihoods with 95% intervals on a log scale, one row per label, England beside."""
    data = _ratio_rows(rows)
    data["label"] = labels.to_numpy()
    england = _floats(national) if national is not None else np.full(len(data), np.nan)
    fig, ax = _figure(0.34 * len(data) + 1.75)
    _log_ratio_axis(ax, config, ratio_limits(data["lo"], data["hi"], england))
    _horizontal_ratios(ax, data, england if national is not None else None, _reason_text(rows, plain),
                       [textwrap.fill(str(v), 34) for v in data["label"]])
    ax.set_xlabel(PLAIN_AXIS_LABEL if plain else RATIO_AXIS_LABEL)
    ax.legend(handles=_place_handles(place, national is not None, lines=False, plain=plain)
              + _band_handles(config, plain),
              loc="upper center",
              bbox_to_anchor=(0.3, -0.55 / (0.34 * len(data) + 0.5)), ncol=4, fontsize=7.5)
    fig.subplots_adjust(left=0.33, right=0.97, bottom=0.95 / fig.get_figheight())
    _titles(fig, title, subtitle, top=0.75)
    parts = [_describe(r.label, r, england[i] if national is not None else None)
             for i, r in enumerate(data.itertuples())]
    alt = (f"{_alt_lead(config, plain, 'Chart')} {title}. " + "; ".join(parts) + ".")
    return _to_chart(fig, alt)


def indicator_chart(by_service: pd.DataFrame, history: pd.DataFrame, config: Config, *, title: str, subtitle: str,
                    place: str, national_by_service: pd.Series | None = None,
                    national_history: pd.Series | None = None, plain: bool = False) -> Chart:
    """One indicator in two panels: this year by service, and all services over every year with data.

    ``by_service`` has one row per service; ``history`` one row per year (all services). The
    England series are aligned with them (same order), or None in the national report.
    """
    services = _ratio_rows(by_service)
    years = _ratio_rows(history)
    year_labels = history["year"].astype(str).tolist()
    national = national_by_service is not None
    eng_s = _floats(national_by_service) if national else np.full(len(services), np.nan)
    eng_y = _floats(national_history) if national_history is not None else np.full(len(years), np.nan)
    limits = ratio_limits(services["lo"], services["hi"], years["lo"], years["hi"], eng_s, eng_y)
    fig, (left, right) = _figure(3.0, ncols=2, gridspec_kw={"width_ratios": [1.15, 1], "wspace": 0.32})

    _log_ratio_axis(left, config, limits, "x", sparse=True)
    _horizontal_ratios(left, services, eng_s if national else None, _reason_text(by_service, plain),
                       by_service["service"].map(SERVICE_LABEL).tolist())
    axis_label = "Times as likely as white staff" if plain else "Relative likelihood (log scale)"
    left.set_xlabel(axis_label)
    left.set_title(f"By service, {int(history['year'].max()) if len(history) else ''}".rstrip(", "), fontsize=8.5)

    x = np.arange(len(years), dtype=float)
    _log_ratio_axis(right, config, limits, "y", sparse=True)
    _dots(right, x, years, horizontal=False, line=True)
    if national_history is not None:
        _england(right, x, eng_y, horizontal=False, offset=0.12, line=True)
    for xi, row in zip(x, years.itertuples(), strict=True):
        if np.isfinite(row.rl):
            right.annotate(format_ratio(row.rl), (xi, row.hi), xytext=(0, 3), textcoords="offset points",
                           ha="center", fontsize=7.5)
    right.set_xticks(x, year_labels)
    right.set_xlim(-0.5, len(years) - 0.5)
    right.grid(axis="x", visible=False)
    right.set_ylabel(axis_label)
    right.set_title("All services, every year with data", fontsize=8.5)

    fig.legend(handles=_place_handles(place, national, plain=plain) + _band_handles(config, plain),
               loc="lower center", ncol=4,
               fontsize=7.5, bbox_to_anchor=(0.5, 0.0))
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.26)
    _titles(fig, title, subtitle, top=0.78)
    by_service_text = "; ".join(
        _describe(SERVICE_LABEL[s], r, eng_s[i] if national else None)
        for i, (s, r) in enumerate(zip(by_service["service"], services.itertuples(), strict=True)))
    by_year_text = "; ".join(
        _describe(label, r, eng_y[i] if national_history is not None else None)
        for i, (label, r) in enumerate(zip(year_labels, years.itertuples(), strict=True)))
    alt = (f"{_alt_lead(config, plain, 'Two charts')} {title}. By service: {by_service_text or 'no data'}. "
           f"All services by year: {by_year_text or 'no data'}.")
    return _to_chart(fig, alt)


def trends_chart(history: pd.DataFrame, labels: dict[str, str], config: Config, *, title: str, subtitle: str,
                 place: str, national_history: pd.DataFrame | None = None) -> Chart:
    """Small multiples: every indicator's ratio (all services) over the years, England beside.

    ``history`` and ``national_history`` have columns indicator, year, relative_likelihood.
    """
    order = [k for k in labels if k in set(history["indicator"])]
    years = sorted(history["year"].unique())
    ncols = 4
    nrows = max(1, math.ceil(len(order) / ncols))
    fig, axes = _figure(1.25 * nrows + 1.15, nrows=nrows, ncols=ncols, sharex=True, sharey=True,
                        gridspec_kw={"hspace": 0.75, "wspace": 0.12})
    axes = np.atleast_1d(axes).ravel()
    values = _floats(history["relative_likelihood"])
    england_values = _floats(national_history["relative_likelihood"]) if national_history is not None else []
    limits = ratio_limits(values, england_values)
    x_of = {y: i for i, y in enumerate(years)}
    parts = []
    for ax, key in zip(axes, order, strict=False):
        _log_ratio_axis(ax, config, limits, "y", sparse=True)
        own = history[history["indicator"] == key].sort_values("year")
        x = own["year"].map(x_of).to_numpy(dtype=float)
        rl = _floats(own["relative_likelihood"])
        ok = np.isfinite(rl)
        ax.plot(x[ok], rl[ok], marker="o", markersize=4, color=TWO_SERIES[0], linewidth=1.3, zorder=3)
        text = ", ".join(f"{y} {format_ratio(v)}" for y, v in zip(own["year"], rl, strict=True))
        if national_history is not None:
            eng = national_history[national_history["indicator"] == key].sort_values("year")
            ex = eng["year"].map(x_of).to_numpy(dtype=float)
            ev = _floats(eng["relative_likelihood"])
            keep = np.isfinite(ev) & np.isfinite(ex)
            ax.plot(ex[keep], ev[keep], marker="D", markersize=3.5, color=TWO_SERIES[1], markeredgecolor="black",
                    markeredgewidth=0.5, linestyle="--", linewidth=1, zorder=2)
            text += "; England " + ", ".join(f"{y} {format_ratio(v)}" for y, v in zip(eng["year"], ev, strict=True))
        if ok.any():
            last = np.flatnonzero(ok)[-1]
            ax.annotate(format_ratio(rl[last]), (x[last], rl[last]), xytext=(0, 4), textcoords="offset points",
                        ha="center", fontsize=7)
        ax.set_title(textwrap.fill(labels[key], 24), fontsize=7.5, loc="left")
        ax.tick_params(labelsize=7)
        parts.append(f"{labels[key]}: {text}")
    for ax in axes[len(order):]:
        ax.set_visible(False)
    for ax in axes:
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        ax.set_xlim(-0.4, len(years) - 0.6)
        ax.grid(axis="x", visible=False)
    fig.legend(handles=_place_handles(place, national_history is not None, interval=False) + _band_handles(config),
               loc="lower center", ncol=4, fontsize=7.5, bbox_to_anchor=(0.5, 0.0))
    fig.subplots_adjust(left=0.07, right=0.99, bottom=0.5 / fig.get_figheight() + 0.04)
    _titles(fig, title, subtitle, top=0.95)
    alt = (f"Small charts, one per indicator, of the relative likelihood for all services by year on a log scale, "
           f"with the non-adverse range shaded and 1 marked. {title}. " + "; ".join(parts) + ".")
    return _to_chart(fig, alt)


def distribution_chart(ratios: pd.DataFrame, pooled: pd.DataFrame, labels: dict[str, str], config: Config, *,
                       title: str, subtitle: str) -> Chart:
    """Council ratios as anonymous dots per indicator, with the pooled national ratio marked."""
    order = [k for k in labels if k in set(ratios["indicator"])]
    data = ratios[ratios["indicator"].isin(order)].assign(rl=lambda d: _floats(d["relative_likelihood"]))
    national = pooled.set_index("indicator")["relative_likelihood"]
    fig, ax = _figure(0.36 * len(order) + 1.75)
    _log_ratio_axis(ax, config, ratio_limits(data["rl"]))
    rng = np.random.default_rng(0)  # fixed jitter: the same data always draw the same chart
    parts = []
    for i, k in enumerate(order):
        values = data.loc[data["indicator"] == k, "rl"].to_numpy()
        values = values[np.isfinite(values) & (values > 0)]
        ax.scatter(values, i + rng.uniform(-0.22, 0.22, len(values)), s=9, color=TWO_SERIES[0], alpha=0.55,
                   linewidths=0, zorder=2)
        england = float(pd.to_numeric(pd.Series([national.get(k)], dtype="object"), errors="coerce").iloc[0])
        if np.isfinite(england):
            ax.plot(england, i, marker="D", markersize=6.5, color=TWO_SERIES[1], markeredgecolor="black", zorder=4)
        if values.size:
            inside = int(((values >= config.non_adverse_lower) & (values <= config.non_adverse_upper)).sum())
            parts.append(f"{labels[k]}: {values.size} councils, median {format_ratio(np.median(values))}, range "
                         f"{format_ratio(values.min())} to {format_ratio(values.max())}, {inside} within the "
                         f"non-adverse range, England {format_ratio(england)}")
    ax.set_yticks(range(len(order)), [textwrap.fill(labels[k], 34) for k in order], fontsize=7.5)
    ax.set_ylim(len(order) - 0.5, -0.6)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(RATIO_AXIS_LABEL)
    handles = [
        Line2D([], [], marker="o", color=TWO_SERIES[0], alpha=0.6, linestyle="none", label="A council (not named)"),
        Line2D([], [], marker="D", color=TWO_SERIES[1], markeredgecolor="black", linestyle="none",
                   label="England (pooled)"),
        *_band_handles(config),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.3, -0.55 / (0.36 * len(order) + 0.5)),
              ncol=4, fontsize=7.5)
    fig.subplots_adjust(left=0.33, right=0.97, bottom=0.95 / fig.get_figheight())
    _titles(fig, title, subtitle, top=0.75)
    alt = f"Dot plot on a log scale. {title}. " + "; ".join(parts) + "."
    return _to_chart(fig, alt)


def funnel_chart(points: pd.DataFrame, limits: pd.DataFrame, pooled: float, outside: dict[str, int],
                 config: Config, *, title: str, subtitle: str, size_label: str) -> Chart:
    """Council ratios against council size, inside 95% and 99.8% control limits around England's ratio.

    ``points``: columns size, relative_likelihood (one anonymous row per council).
    ``limits``: columns size, lower_95, upper_95, lower_998, upper_998 (see :mod:`wreslib.funnel`).
    ``outside``: how many councils lie above and below each pair of limits.
    """
    rl = _floats(points["relative_likelihood"])
    size = points["size"].to_numpy(dtype=float)
    ok = np.isfinite(rl) & (size > 0)
    fig, ax = _figure(3.3)
    _log_ratio_axis(ax, config, ratio_limits(rl, limits["lower_998"], limits["upper_998"]), "y")
    ax.set_xscale("log")
    ax.axhline(pooled, color=TWO_SERIES[1], linewidth=1.4, zorder=2)
    for lower, upper, style in (("lower_95", "upper_95", "--"), ("lower_998", "upper_998", ":")):
        for col in (lower, upper):
            ax.plot(limits["size"], limits[col], color=PALETTE[2], linestyle=style, linewidth=1.2, zorder=2)
    ax.scatter(size[ok], rl[ok], s=11, color=TWO_SERIES[0], alpha=0.7, linewidths=0, zorder=3)
    ax.set_xlim(limits["size"].min(), limits["size"].max())
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5), numticks=12))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlabel(size_label + " (log scale)")
    ax.set_ylabel("Relative likelihood (log scale)")
    handles = [
        Line2D([], [], marker="o", color=TWO_SERIES[0], linestyle="none", label="A council (not named)"),
        Line2D([], [], color=TWO_SERIES[1], linewidth=1.4, label=f"England {format_ratio(pooled)}"),
        Line2D([], [], color=PALETTE[2], linestyle="--", label="95% limits"),
        Line2D([], [], color=PALETTE[2], linestyle=":", label="99.8% limits"),
        *_band_handles(config),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7.5, bbox_to_anchor=(0.5, 0.0))
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.3)
    _titles(fig, title, subtitle, top=0.75)
    alt = (f"Funnel plot: each dot is one council (not named), its relative likelihood on a log scale against "
           f"{size_label.lower()} on a log scale. {title}. England's ratio is {format_ratio(pooled)}; "
           f"{int(ok.sum())} councils are shown; {outside['above_998']} lie above and {outside['below_998']} below "
           f"the 99.8% limits, {outside['above_95']} above and {outside['below_95']} below the 95% limits.")
    return _to_chart(fig, alt)


def image(png: bytes, alt: str) -> Chart:
    """A ready-made picture (a council's logo) shown like a chart, with its alt text."""
    return Chart(png, alt)
