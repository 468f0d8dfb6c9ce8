"""The benchmark's figures (psi vs performance, paired bars, matmul, retraining), as PNG and SVG."""
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window: set before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .frames import (experiment_info, label, layer_order, ok_runs,  # noqa: E402
                               require_columns, tidy_best)
from ..common.atomic import atomic_path  # noqa: E402

PSI_LABEL = "psi (compressed bytes / float32 bytes)"
BASELINE_STYLE = {"ls": "--", "color": "0.3", "lw": 1.2}
NOISE_STYLE = {"color": "0.5", "alpha": 0.15, "lw": 0}
UNMATCHED_HATCH = "///"


def _save(fig, path_stem):
    """Save fig as path_stem.png and .svg, each through a temp file and os.replace; close it."""
    stem = Path(path_stem)
    paths = [stem.with_name(f"{stem.name}.{ext}") for ext in ("png", "svg")]
    try:
        for path in paths:
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=path.suffix[1:], dpi=120)
    finally:
        plt.close(fig)
    return paths


def _subplots(nrows, ncols, width, height, **kw):
    """A constrained-layout figure of whitegrid axes (2-D array), wide enough for its title."""
    with sns.axes_style("whitegrid"):
        return plt.subplots(nrows, ncols, figsize=(max(7.5, width * ncols), height * nrows),
                            squeeze=False, layout="constrained", **kw)


def _grid(n):
    """Up to three panels a row for n panels; the unused ones are hidden."""
    ncols = min(3, n)
    fig, axes = _subplots(math.ceil(n / ncols), ncols, 4.8, 3.8)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _no_data(path_stem, title):
    """An empty figure that says there is no data, so that a workflow always gets its files."""
    fig, axes = _subplots(1, 1, 6, 3)
    ax = axes[0, 0]
    ax.text(0.5, 0.5, "no data", ha="center", va="center", fontsize=16, transform=ax.transAxes)
    ax.set(title=title, xticks=[], yticks=[])
    return _save(fig, path_stem)


def _empty(df):
    """True for None or a table without rows."""
    return df is None or df.empty


def _palette(names):
    """One stable colour per name, shared by every panel of a figure."""
    names = sorted(set(map(label, names)))
    return dict(zip(names, sns.color_palette("tab10" if len(names) <= 10 else "husl", len(names))))


def _metric_label(info):
    """Axis label of a test metric with its unit and direction."""
    metric = info["metric"]
    unit = {"accuracy": "fraction correct", "mse": "squared target units"}.get(metric.lower())
    better = "higher" if info["higher_is_better"] else "lower"
    return f"test {metric} ({unit + ', ' if unit else ''}{better} is better)"


def _legend(fig, palette, extra=(), marker="o", title="method"):
    """One figure legend: a handle per palette entry plus the extra handles, outside the panels.

    marker is one marker for all, a dict name -> marker, or None for plain lines.
    """
    markers = marker if isinstance(marker, dict) else dict.fromkeys(palette, marker)
    handles = [Line2D([], [], color=c, marker=markers[m], ls="-" if marker is None else "",
                      label=m) for m, c in palette.items()]
    fig.legend(handles=[*handles, *extra], loc="outside right center", title=title)


def _panel_keys(df):
    """(experiment, layers) pairs in a stable order: experiments sorted, layers dense-conv-both."""
    pairs = set(zip(df["experiment"], df["layers"]))
    return sorted(pairs, key=lambda k: (k[0], layer_order(k[1])))


def pareto_front(psi, perf, higher_is_better):
    """Points no other run beats on both psi and performance, sorted by psi."""
    sign = -1.0 if higher_is_better else 1.0
    order = sorted(zip(psi, perf), key=lambda t: (t[0], sign * t[1]))
    front, best = [], math.inf
    for x, y in order:
        if sign * y < best:
            front.append((x, y))
            best = sign * y
    return [x for x, _ in front], [y for _, y in front]


def _psi_panel(ax, runs, info, palette):
    """One scatter panel: runs by method (± std over seeds; hollow: psi_direct), the baseline (± std), Pareto front."""
    sns.scatterplot(data=runs, x="psi", y="after_retrain", hue="method", palette=palette,
                    legend=False, s=36, ax=ax)
    spread = runs[runs.get("seeds", 1) > 1] if "seeds" in runs else runs.iloc[:0]
    for method, rows in spread.groupby("method"):
        ax.errorbar(rows["psi"], rows["after_retrain"], yerr=rows["perf_std"], fmt="none",
                    ecolor=palette[method], elinewidth=1, capsize=3)
    direct = runs.dropna(subset=["psi_direct"]) if "psi_direct" in runs else runs.iloc[:0].assign(psi_direct=0.0)
    ax.scatter(direct["psi_direct"], direct["after_retrain"], s=36, facecolors="none",
               edgecolors=[palette[method] for method in direct["method"]], linewidths=1)
    fx, fy = pareto_front(runs["psi"], runs["after_retrain"], info["higher_is_better"])
    ax.step(fx, fy, where="post", color="black", lw=1)
    ax.axhline(info["baseline"], **BASELINE_STYLE)
    noise = runs["baseline_std"].iloc[0] if "baseline_std" in runs else float("nan")
    if noise > 0:
        ax.axhspan(info["baseline"] - noise, info["baseline"] + noise, **NOISE_STYLE)
    psi = pd.concat([runs["psi"], direct["psi_direct"]])
    if psi.min() > 0 and psi.max() / psi.min() > 20:
        ax.set_xscale("log")
    ax.set(xlabel=PSI_LABEL + (", log scale" if ax.get_xscale() == "log" else ""),
           ylabel=_metric_label(info))


def psi_vs_performance(summary, path_stem):
    """Scatter of psi against performance after retraining, one panel per experiment x layers."""
    title = "Space against performance after retraining"
    if _empty(summary):
        return _no_data(path_stem, title)
    runs = ok_runs(summary).dropna(subset=["psi", "after_retrain"])
    if runs.empty:
        return _no_data(path_stem, title)
    info, palette = experiment_info(summary), _palette(runs["method"])
    keys = _panel_keys(runs)
    fig, axes = _grid(len(keys))
    for ax, (exp, layers) in zip(axes, keys):
        _psi_panel(ax, runs[(runs["experiment"] == exp) & (runs["layers"] == layers)],
                   info[exp], palette)
        ax.set_title(f"{exp}, {layers} layers")
    extra = [Line2D([], [], ls="", marker="o", color="gray", label="psi of the study's format"),
             Line2D([], [], ls="", marker="o", markerfacecolor="none", color="gray",
                    label="psi of the smallest direct format"),
             Line2D([], [], color="black", lw=1, label="Pareto front (study's psi)"),
             Line2D([], [], **BASELINE_STYLE, label="uncompressed baseline")]
    if "baseline_std" in runs and (runs["baseline_std"] > 0).any():
        extra.append(Patch(**NOISE_STYLE, label="± its std over seeds"))
    _legend(fig, palette, extra)
    fig.suptitle(f"{title}, one point per grid point (mean over seeds, bars: ± std)")
    return _save(fig, path_stem)


def _unmatched(rows):
    """Mask of best_space rows where no run kept the baseline (drawn hatched)."""
    return (rows["selection"] == "best_space") & ~rows["matches_baseline"].astype(bool)


def _bar_pair(ax_psi, ax_perf, rows, palette):
    """psi bars to the left with config labels, performance delta bars to the right."""
    y = np.arange(len(rows))
    colors = [palette[m] for m in rows["method"]]
    hatches = [UNMATCHED_HATCH if u else "" for u in _unmatched(rows)]
    for ax, values in ((ax_psi, rows["psi"]), (ax_perf, rows["delta"])):
        for bar, hatch in zip(ax.barh(y, values, height=0.6, color=colors, edgecolor="0.2"),
                              hatches):
            bar.set_hatch(hatch)
        ax.margins(x=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(5))
    for yi, psi, cfg in zip(y, rows["psi"], rows["config"]):
        ax_psi.text(psi, yi, f" {cfg} ", ha="right", va="center", fontsize=8)
    for yi, delta in zip(y, rows["delta"]):
        ax_perf.text(delta, yi, f" {delta:+.4f} ", ha="left" if delta >= 0 else "right",
                     va="center", fontsize=8)
    ax_psi.invert_xaxis()
    ax_psi.set_yticks(y, rows["method"])
    ax_psi.set_ylim(len(rows) - 0.4, -0.6)  # first method on top; thin bars even when alone
    ax_perf.axvline(0, color="black", lw=0.8)
    ax_psi.set_xlabel("psi (compressed / float32 bytes); label: config")
    ax_perf.set_xlabel("performance - baseline (> 0: better)")


def paired_bars(best, selection, path_stem):
    """The study's paired bars for one selection: psi left, performance delta right, per method."""
    title = f"{selection}: space and performance per method"
    if _empty(best):
        return _no_data(path_stem, title)
    best = tidy_best(best)
    rows = best[best["selection"] == selection]
    if rows.empty:
        return _no_data(path_stem, title)
    keys, palette = _panel_keys(rows), _palette(rows["method"])
    height = max(2.0, 0.35 * rows.groupby(["experiment", "layers"]).size().max() + 1.3)
    fig, axes = _subplots(len(keys), 2, 6, height, sharey="row")
    for (ax_psi, ax_perf), (exp, layers) in zip(axes, keys):
        mine = rows[(rows["experiment"] == exp) & (rows["layers"] == layers)]
        _bar_pair(ax_psi, ax_perf, mine.sort_values("method"), palette)
        ax_psi.set_title(f"{exp}, {layers} layers: space")
        ax_perf.set_title(f"performance (baseline {mine['baseline'].iloc[0]:.4f})")
    hatched = Patch(facecolor="white", edgecolor="0.2", hatch=UNMATCHED_HATCH,
                    label="no run kept the baseline:\nclosest run shown")
    _legend(fig, palette, [hatched] if _unmatched(rows).any() else [], marker="s")
    fig.suptitle(title)
    return _save(fig, path_stem)


def matmul_ratios(matmul, path_stem):
    """Matmul time of each format over numpy dense (log) against the fraction of zeros, per b."""
    title = "Product time against numpy dense float32"
    if _empty(matmul):
        return _no_data(path_stem, title)
    require_columns(matmul, ("format", "b", "zero_fraction", "ratio_numpy"), "matmul")
    data = matmul.dropna(subset=["b", "zero_fraction", "ratio_numpy"])
    data = data[data["ratio_numpy"] > 0].assign(format=lambda d: d["format"].map(label),
                                                zero_fraction=lambda d: d["zero_fraction"].round(2))
    if data.empty:
        return _no_data(path_stem, title)
    palette = _palette(data["format"])
    markers = dict(zip(palette, "osD^vP*X" * len(palette)))
    bs = sorted(set(data["b"].astype(int)))
    fig, axes = _subplots(1, len(bs), 5.2, 4.2, sharey=True)
    for ax, b in zip(axes[0], bs):
        sns.lineplot(data=data[data["b"].astype(int) == b], x="zero_fraction", y="ratio_numpy",
                     hue="format", style="format", hue_order=list(palette), palette=palette,
                     markers=markers, dashes=False, estimator="median", errorbar=None, legend=False,
                     ax=ax)
        ax.axhline(1.0, **BASELINE_STYLE)
        ax.set_yscale("log")
        ax.set(title=f"b = {b} input row(s) per product", xlabel="fraction of zero weights",
               ylabel="time / numpy dense time (log scale, < 1: faster)")
    _legend(fig, palette, [Line2D([], [], **BASELINE_STYLE, label="numpy dense (ratio 1)")],
            marker=markers, title="format")
    fig.suptitle(f"{title} (median over layers, zeros binned by 1%)")
    return _save(fig, path_stem)


def retraining_curves(history, summary, path_stem):
    """Test metric per retraining epoch, one line per run, one panel per experiment x layers."""
    title = "Test metric during retraining"
    if _empty(history):
        return _no_data(path_stem, title)
    require_columns(history, ("experiment", "layers", "method", "params", "epoch", "test"),
                    "history")
    data = history.dropna(subset=["epoch", "test"]).copy()
    if data.empty:
        return _no_data(path_stem, title)
    for col in ("experiment", "layers", "method", "params"):
        data[col] = data[col].map(label)
    data["run"] = data["method"] + "/" + data["params"]
    info = {} if _empty(summary) else experiment_info(summary)
    palette, keys = _palette(data["method"]), _panel_keys(data)
    fig, axes = _grid(len(keys))
    for ax, (exp, layers) in zip(axes, keys):
        sns.lineplot(data=data[(data["experiment"] == exp) & (data["layers"] == layers)],
                     x="epoch", y="test", hue="method", units="run", estimator=None,
                     palette=palette, legend=False, lw=1, marker="o", markersize=5, ax=ax)
        ylabel = "test metric"
        if exp in info:
            ax.axhline(info[exp]["baseline"], **BASELINE_STYLE)
            ylabel = _metric_label(info[exp])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.set(title=f"{exp}, {layers} layers", xlabel="retraining epoch", ylabel=ylabel,
               xlim=(0.5, data["epoch"].max() + 0.5))
    _legend(fig, palette, [Line2D([], [], **BASELINE_STYLE, label="uncompressed baseline")],
            marker=None)
    fig.suptitle(f"{title}, one line per run")
    return _save(fig, path_stem)


def latency_vs_psi(summary, path_stem):
    """Whole-network latency over the uncompressed model's against psi, for batch 1 and 64."""
    title = "Inference latency against space"
    columns = ("latency_b1_ratio", "latency_b64_ratio")
    if _empty(summary) or not set(columns) <= set(summary.columns):
        return _no_data(path_stem, title)
    runs = ok_runs(summary).dropna(subset=["psi", *columns])
    if runs.empty:
        return _no_data(path_stem, title)
    palette = _palette(runs["method"])
    fig, axes = _subplots(1, 2, 5.2, 4.2, sharey=True)
    for ax, column, b in zip(axes[0], columns, (1, 64)):
        sns.scatterplot(data=runs, x="psi", y=column, hue="method", style="layers", palette=palette,
                        legend=False, s=36, ax=ax)
        ax.axhline(1.0, **BASELINE_STYLE)
        ax.set(title=f"batch of {b}", xlabel=PSI_LABEL,
               ylabel="latency / uncompressed model latency (< 1: faster)")
    _legend(fig, palette, [Line2D([], [], **BASELINE_STYLE, label="uncompressed model")])
    fig.suptitle(f"{title}: the whole network, Dense layers run from their stored format")
    return _save(fig, path_stem)
