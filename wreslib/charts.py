"""Charts for the reports, each returned with alt text written from its data.

Colours follow the Government Analysis Function palette; colour is never the only
cue (values are labelled, series have distinct markers); ratios use a log scale
with 1 marked and the non-adverse range shaded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FixedLocator, NullLocator  # noqa: E402

from wreslib.config import Config  # noqa: E402
from wreslib.wording import format_percent, format_ratio  # noqa: E402

PALETTE = ("#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1")
TWO_SERIES = {"Global Majority": "#12436D", "White": "#F46A25"}
SERVICE_LABEL = {"adults": "Adults", "children": "Children", "all": "All services"}
RATIO_TICKS = (0.125, 0.25, 0.5, 0.8, 1, 1.25, 2, 4, 8)


@dataclass(frozen=True)
class Chart:
    """A rendered chart: PNG bytes plus the alt text that describes it."""

    png: bytes
    alt: str


def _theme() -> None:
    sns.set_theme(style="whitegrid", context="notebook", font="DejaVu Sans")
    plt.rcParams.update({"axes.titleweight": "bold", "axes.titlelocation": "left", "svg.hashsalt": "wres"})


def _to_chart(fig: plt.Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=144, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return Chart(buffer.getvalue(), alt)


def _titles(fig: plt.Figure, ax: plt.Axes, title: str, subtitle: str) -> None:
    ax.set_title(subtitle, fontsize=10, fontweight="normal", color="#3D3D3D", loc="left", pad=8)
    fig.suptitle(title, x=0.01, ha="left", fontsize=12.5, fontweight="bold", y=1.02)


def _log_ratio_axis(ax: plt.Axes, config: Config, values: np.ndarray, axis: str = "x") -> None:
    finite = values[np.isfinite(values) & (values > 0)]
    low = min(0.4, float(finite.min()) * 0.85) if finite.size else 0.4
    high = max(2.5, float(finite.max()) * 1.15) if finite.size else 2.5
    set_scale, set_lim, span, line = (
        (ax.set_xscale, ax.set_xlim, ax.axvspan, ax.axvline)
        if axis == "x"
        else (ax.set_yscale, ax.set_ylim, ax.axhspan, ax.axhline)
    )
    set_scale("log")
    set_lim(low, high)
    span(config.non_adverse_lower, config.non_adverse_upper, color="#28A197", alpha=0.14, zorder=0,
         label=f"Non-adverse range ({config.non_adverse_lower:.2f}–{config.non_adverse_upper:.2f})")
    line(1, color="#3D3D3D", linewidth=1.2, zorder=1, label="Equal likelihood (1)")
    wide = high / low > 10
    ticks = [t for t in RATIO_TICKS if low <= t <= high and not (wide and t in (0.8, 1.25))]
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(FixedLocator(ticks))
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))


def rates_chart(rows: pd.DataFrame, *, title: str, subtitle: str, measure: str) -> Chart:
    """Bars of the Global Majority and white rates by service, each bar labelled with its value."""
    _theme()
    data = pd.concat(
        [
            pd.DataFrame({"service": rows["service"].map(SERVICE_LABEL), "group": "Global Majority",
                          "rate": rows["gm_rate"].astype("Float64")}),
            pd.DataFrame({"service": rows["service"].map(SERVICE_LABEL), "group": "White",
                          "rate": rows["white_rate"].astype("Float64")}),
        ],
        ignore_index=True,
    ).astype({"rate": float})
    data["percent"] = data["rate"] * 100
    fig, ax = plt.subplots(figsize=(7.2, 3.4))
    sns.barplot(data=data, x="service", y="percent", hue="group", palette=TWO_SERIES, ax=ax,
                hue_order=list(TWO_SERIES), errorbar=None)
    for container, hatch in zip(ax.containers, ("", "//"), strict=False):
        for bar in container:
            bar.set_hatch(hatch)
            bar.set_edgecolor("white")
        labels = [f"{v:.1f}%" if np.isfinite(v) else "n/a" for v in container.datavalues]
        ax.bar_label(container, labels=labels, padding=2, fontsize=8.5)
    ax.set_xlabel("")
    ax.set_ylabel("Per cent")
    ax.margins(y=0.18)
    ax.legend(title=None, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _titles(fig, ax, title, subtitle)
    parts = [
        f"{r.service}: {r.group} {format_percent(r.rate)}" for r in data.itertuples() if np.isfinite(r.rate)
    ]
    alt = f"Bar chart. {title}. Percentage {measure} by ethnic group and service: " + "; ".join(parts) + "."
    return _to_chart(fig, alt)


def ratio_chart(rows: pd.DataFrame, labels: pd.Series, config: Config, *, title: str, subtitle: str) -> Chart:
    """Relative likelihoods with 95% intervals on a log scale, one row per label."""
    _theme()
    data = pd.DataFrame({
        "label": labels.to_numpy(),
        "rl": rows["relative_likelihood"].astype("Float64").astype(float).to_numpy(),
        "lo": rows["ci_lower"].astype("Float64").astype(float).to_numpy(),
        "hi": rows["ci_upper"].astype("Float64").astype(float).to_numpy(),
    })
    fig, ax = plt.subplots(figsize=(7.2, 0.42 * len(data) + 1.3))
    y = np.arange(len(data))
    _log_ratio_axis(ax, config, np.concatenate([data["lo"], data["hi"], data["rl"]]))
    ok = data["rl"].notna().to_numpy()
    ax.errorbar(data.loc[ok, "rl"], y[ok], xerr=[data.loc[ok, "rl"] - data.loc[ok, "lo"],
                                                   data.loc[ok, "hi"] - data.loc[ok, "rl"]],
                fmt="o", color=PALETTE[0], ecolor=PALETTE[0], capsize=3, markersize=6, zorder=3,
                label="Relative likelihood (95% interval)")
    for yi, row in zip(y, data.itertuples(), strict=True):
        text = format_ratio(row.rl) if np.isfinite(row.rl) else "not calculable"
        x_text = row.hi if np.isfinite(row.hi) else 1
        ax.annotate(text, (x_text, yi), xytext=(5, 0), textcoords="offset points", va="center", fontsize=8.5)
    ax.set_yticks(y, data["label"])
    ax.invert_yaxis()
    ax.set_xlabel("Relative likelihood, Global Majority ÷ white (log scale)")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22 if len(data) < 6 else -0.08),
              ncol=3, fontsize=8)
    _titles(fig, ax, title, subtitle)
    parts = [
        f"{r.label}: {format_ratio(r.rl)} (95% interval {format_ratio(r.lo)} to {format_ratio(r.hi)})"
        if np.isfinite(r.rl) else f"{r.label}: not calculable"
        for r in data.itertuples()
    ]
    alt = (
        f"Chart of relative likelihoods on a log scale. {title}. The non-adverse range "
        f"{config.non_adverse_lower:.2f} to {config.non_adverse_upper:.2f} is shaded and 1 is marked. "
        + "; ".join(parts) + "."
    )
    return _to_chart(fig, alt)


def distribution_chart(ratios: pd.DataFrame, pooled: pd.DataFrame, labels: dict[str, str], config: Config, *,
                       title: str, subtitle: str) -> Chart:
    """Council ratios as anonymous dots per indicator, with the pooled national ratio marked."""
    _theme()
    order = [k for k in labels if k in set(ratios["indicator"])]
    data = ratios[ratios["indicator"].isin(order)].assign(
        label=lambda d: d["indicator"].map(labels),
        rl=lambda d: d["relative_likelihood"].astype("Float64").astype(float),
    )
    fig, ax = plt.subplots(figsize=(7.2, 0.5 * len(order) + 1.4))
    _log_ratio_axis(ax, config, data["rl"].to_numpy())
    sns.stripplot(data=data, x="rl", y="label", order=[labels[k] for k in order], ax=ax, size=3.2,
                  color=PALETTE[0], alpha=0.55, jitter=0.25, zorder=2, label=None)
    national = pooled.set_index("indicator")["relative_likelihood"].astype("Float64").astype(float)
    y_pos = {labels[k]: i for i, k in enumerate(order)}
    for k in order:
        if k in national.index and np.isfinite(national[k]):
            ax.plot(national[k], y_pos[labels[k]], marker="D", markersize=8, color=PALETTE[3],
                    markeredgecolor="black", zorder=4, linestyle="none")
    handles = [
        plt.Line2D([], [], marker="o", color=PALETTE[0], linestyle="none", alpha=0.6, label="A council"),
        plt.Line2D([], [], marker="D", color=PALETTE[3], markeredgecolor="black", linestyle="none",
                   label="England (pooled)"),
    ]
    ax.legend(handles=handles, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)
    ax.set_ylabel("")
    ax.set_xlabel("Relative likelihood, Global Majority ÷ white (log scale)")
    _titles(fig, ax, title, subtitle)
    parts = []
    for k in order:
        values = data.loc[data["indicator"] == k, "rl"].dropna()
        if values.empty:
            continue
        inside = ((values >= config.non_adverse_lower) & (values <= config.non_adverse_upper)).sum()
        parts.append(
            f"{labels[k]}: {len(values)} councils, median {format_ratio(values.median())}, range "
            f"{format_ratio(values.min())} to {format_ratio(values.max())}, {inside} within the non-adverse range, "
            f"England {format_ratio(national.get(k, np.nan))}"
        )
    alt = f"Dot plot on a log scale. {title}. " + "; ".join(parts) + "."
    return _to_chart(fig, alt)
