"""Flatten the per-run JSON and benchmark files into the workflow's tables.

summary: one row per run (grid point x seed) and one per experiment's baseline training
(method "baseline": the main one, then one per extra seed of ``baseline_seeds``); points: the
seeds of each grid point (and of the baseline) averaged, with their spread;
matmul: one row per dense layer x format x batch size; history: one row per epoch.
A run's kernel_fraction is the share of the model's kernel parameters it compressed (kernels only:
biases, normalization and non-trainable state excluded); skipped_layers lists the layers holding
the rest, as "path (class, parameters)"; both are empty for runs recorded before they existed.
"""
import csv
import os

import pandas as pd

from ..common.atomic import read_json
from ..common.records import read_record
from ..compression.record import COMPRESS
from ..encoding.record import ENCODE, ENCODE_BASELINE
from ..training.record import TRAIN
from ..compression.coverage import skipped_text
from ..common.kinds import KINDS
from ..formats import FORMATS
from ..common.metrics import higher_is_better, metric_short_name

SUMMARY_COLUMNS = (
    "experiment", "model", "dataset", "task", "metric", "higher_is_better", "layers", "method",
    "prune_quantize", "config", "params", "seed", "status", "error", "baseline", "after_compress", "after_retrain",
    "delta", "psi", "psi_study", "psi_study_estimate", "psi_direct", "psi_baseline", "psi_entropy",
    *(f"psi_{name}" for name in FORMATS), *(f"psi_{kind}_layers" for kind in KINDS), "psi_network",
    "kernel_fraction",
    "skipped_layers", "values", "inference_metric", "inference_equal", "latency_b1_s", "latency_b64_s",
    "latency_b1_ratio", "latency_b64_ratio", "peak_mb", "file_bytes", "file_psi", "artifact", "epochs", "kept_epoch",
    "diverged", "seconds_compress", "seconds_encode", "wall_s", "max_rss_mb", "device", "backend", "commit")
RUN_ID = ("experiment", "layers", "method", "params", "seed")
MATMUL_COLUMNS = (*RUN_ID, "layer", "format", "b", "zero_fraction", "ratio_numpy", "ratio_scipy", "cpu",
                  "threads")
HISTORY_COLUMNS = (*RUN_ID, "epoch", "train", "test")


def metric_label(task, metric):
    """The metric's short name in the tables (accuracy, mse, mae, huber, ...); "loss" where an old record says so."""
    return metric_short_name(metric) if metric else "accuracy" if task == "classification" else "mse"


def read_benchmark(path):
    """(wall seconds, peak resident MB) from a Snakemake ``benchmark:`` file."""
    with open(path, newline="") as f:
        row = next(csv.DictReader(f, delimiter="\t"))
    rss = row.get("max_rss", "NA")
    return float(row["s"]), float(rss) if rss not in ("NA", "-", "") else float("nan")


def run_row(metrics, encoding, compress_benchmark, encode_benchmark, provenance=None):
    """The summary row of one compression run."""
    row = {"experiment": metrics["experiment"], "model": metrics["model"], "dataset": metrics["dataset"],
           "task": metrics["task"], "metric": metric_label(metrics["task"], metrics.get("metric")),
           "higher_is_better": metrics["higher_is_better"], "layers": metrics["layers_selection"],
           "method": metrics["method"], "prune_quantize": _prune_quantize(metrics),
           "config": metrics["config"], "params": metrics["point"],
           "seed": metrics["seed"], "status": metrics["status"], "error": metrics.get("error") or ""}
    (compress_s, compress_rss), (encode_s, encode_rss) = compress_benchmark, encode_benchmark
    # the jobs' own peaks where they recorded them: a job forked from the job server is not
    # the process its benchmark file watched
    compress_rss, encode_rss = metrics.get("peak_rss_mb", compress_rss), encoding.get("peak_rss_mb", encode_rss)
    row.update(wall_s=compress_s + encode_s, max_rss_mb=max(compress_rss, encode_rss), **_where(provenance))
    if metrics["status"] != "ok":
        return row
    sign = 1 if metrics["higher_is_better"] else -1
    row.update(baseline=metrics["baseline"], after_compress=metrics["after_compress"],
               after_retrain=metrics["after_retrain"], delta=sign * (metrics["after_retrain"] - metrics["baseline"]),
               epochs=metrics["epochs"], kept_epoch=metrics.get("kept_epoch"), diverged=metrics.get("diverged") or "",
               seconds_compress=metrics["seconds"], seconds_encode=encoding["seconds"],
               values=_values(metrics), kernel_fraction=metrics.get("kernel_fraction"),
               skipped_layers=skipped_text(metrics.get("skipped_layers")))
    row.update(_psi(encoding, [kind for kind in KINDS if kind in encoding["weights"]]))
    row.update(_inference(encoding), **_costs(encoding, metrics.get("artifact")))
    return row


def _where(provenance):
    """Where the run's numbers came from: device, Keras backend, commit."""
    if not provenance:
        return {}
    device = provenance["device"]
    return {"device": device.get("accelerator") or device.get("cpu"), "backend": provenance["backend"],
            "commit": provenance["commit"][:12] + ("+dirty" if provenance.get("dirty") else "")}


def _costs(encoding, artifact):
    """Inference latency (and its ratio to the uncompressed model), peak memory and the .sham file size."""
    costs = {}
    latency = encoding.get("latency")
    if latency:
        for b in ("1", "64"):
            costs[f"latency_b{b}_s"] = latency["compressed"][b]
            costs[f"latency_b{b}_ratio"] = latency["ratio"][b]
    if encoding.get("peak_memory"):
        costs["peak_mb"] = encoding["peak_memory"]["peak_mb"]
    if artifact:
        costs.update(file_bytes=artifact["file"], file_psi=artifact["file_psi"])
    return costs


def baseline_row(experiment, metrics, encoding, dataset, model, seed=None):
    """The summary row of an experiment's uncompressed network: psi 1 by definition."""
    row = {"experiment": experiment, "model": model, "dataset": dataset, "task": metrics["task"],
           "metric": metric_label(metrics["task"], metrics["metric"]),
           "higher_is_better": metrics.get("higher_is_better", higher_is_better(metrics["metric"] or "accuracy")),
           "layers": "", "method": "baseline",
           "config": "", "params": "", "seed": seed, "status": "ok", "error": "", "baseline": metrics["test"],
           "after_compress": metrics["test"], "after_retrain": metrics["test"], "delta": 0.0,
           "epochs": metrics["epochs"], "seconds_compress": metrics["seconds"],
           "seconds_encode": encoding["seconds"]}
    row.update(_psi(encoding, [kind for kind in KINDS if kind in encoding["weights"]]))
    row.update(psi=1.0, psi_network=1.0, latency_b1_ratio=1.0, latency_b64_ratio=1.0)
    if encoding.get("peak_memory"):
        row["peak_mb"] = encoding["peak_memory"]["peak_mb"]
    return row


def baseline_seed_row(main, metrics, seed):
    """The row of one more training of the baseline (``main``'s row) with another seed: its metric and time only."""
    identity = ("experiment", "model", "dataset", "task", "metric", "higher_is_better", "layers", "method", "config",
                "params", "status", "error", "baseline")
    sign = 1 if main["higher_is_better"] else -1
    return dict({key: main[key] for key in identity}, seed=seed, after_compress=metrics["test"],
                after_retrain=metrics["test"], delta=sign * (metrics["test"] - main["baseline"]),
                epochs=metrics["epochs"], seconds_compress=metrics["seconds"])


def _prune_quantize(metrics):
    """The run's prune_quantize mode; runs recorded before the mode existed quantized the survivors."""
    if "prune_quantize" in metrics:
        return metrics["prune_quantize"]
    return "survivors" if "pr_" in metrics["method"] else ""


def _values(metrics):
    """Distinct nonzero values each compressed group really holds after retraining, e.g. "13" or "16/8" (conv/dense).

    Runs recorded before the run's ``values`` existed give their codebook sizes.
    """
    counts = []
    for kind in KINDS:
        if metrics.get("values", {}).get(kind) is not None:
            counts.append(str(metrics["values"][kind]))
        else:
            layers = [layer for layer in metrics["layers"] if layer["kind"] == kind]
            counts += [str(v) for v in sorted({layer["values"] for layer in layers if layer.get("values")})]
    return "/".join(counts)


def _psi(encoding, kinds):
    """psi of the given groups together, and per group.

    psi (= psi_study): the study's choice of format; psi_study_estimate: the study's own
    estimate of its choice (None before encoding.json had it); psi_direct: the smallest format
    that computes x @ W directly; psi_baseline: the smallest general-purpose compressor measured;
    psi_entropy: the entropy bound; psi_<format>: each format measured.
    """
    weights = 4 * sum(encoding["weights"][kind] for kind in kinds)
    measured = set.intersection(*(set(encoding["bytes"][kind]) for kind in kinds))
    psi = {f"psi_{key}": sum(encoding["bytes"][kind][key] for kind in kinds) / weights for key in measured}
    psi["psi"] = psi["psi_study"] = psi.pop("psi_choice")
    psi["psi_study_estimate"] = _study_estimate(encoding, kinds, weights)
    for kind in KINDS:
        psi[f"psi_{kind}_layers"] = encoding["psi"][kind]["choice"] if kind in encoding["psi"] else None
    psi["psi_network"] = encoding["psi"]["network"]["choice"]
    return psi


def _study_estimate(encoding, kinds, weights):
    """The study's estimated bytes of its choice over the groups, / ``weights`` bytes; None where not recorded."""
    estimate = encoding.get("study_estimate") or {}
    if not all(kind in estimate for kind in kinds):
        return None
    return sum(estimate[kind]["choice"] for kind in kinds) / weights


def _inference(encoding):
    """The metric computed from the sHAM encoding, and whether HAM and sHAM match the decoded one."""
    entries = encoding.get("inference") or []
    if not entries:
        return {"inference_metric": None, "inference_equal": None}
    sham = next(entry for entry in entries if entry["format"] == "sham")
    return {"inference_metric": sham["metric"], "inference_equal": all(entry["equal"] for entry in entries)}


def matmul_rows(identity, encoding):
    """One row per dense layer x format x batch size: time ratios against numpy and scipy, and where."""
    machine = encoding.get("machine") or {}
    where = {"cpu": machine.get("cpu"), "threads": machine.get("numba_threads")}
    rows = []
    for layer in encoding.get("matmul") or []:
        for name, times in layer["formats"].items():
            for b in (1, 64):
                rows.append({**identity, "layer": layer["name"], "format": name, "b": b,
                             "zero_fraction": layer["zero_fraction"],
                             "ratio_numpy": times[f"ratio_b{b}_dense"], "ratio_scipy": times[f"ratio_b{b}_scipy"],
                             **where})
    return rows


def history_rows(identity, metrics):
    """One row per retraining epoch: the train and test metric."""
    history = metrics.get("history") or {"train": [], "test": []}
    tests = history.get("test") or [None] * len(history["train"])
    return [{**identity, "epoch": epoch, "train": train, "test": test}
            for epoch, (train, test) in enumerate(zip(history["train"], tests), start=1)]


def tables(inputs, experiments):
    """(summary, matmul, history) DataFrames from the aggregate rule's input files.

    experiments: {name: {"model", "dataset", "seed", "baseline_seeds"}} in the order of the baseline
    inputs; ``inputs["baseline_seeds"]`` holds the metrics of each experiment's baseline_seeds in turn.
    """
    summary, matmul, history = [], [], []
    runs = zip(inputs["metrics"], inputs["encodings"], inputs["compress_benchmarks"], inputs["encode_benchmarks"],
               inputs["provenances"])
    for metrics_path, encoding_path, compress_bench, encode_bench, provenance in runs:
        metrics, encoding = read_record(COMPRESS, metrics_path), read_record(ENCODE, encoding_path)
        summary.append(run_row(metrics, encoding, read_benchmark(compress_bench), read_benchmark(encode_bench),
                               read_json(provenance)))
        if metrics["status"] == "ok":
            summary[-1]["artifact"] = os.path.join(os.path.dirname(metrics_path), "model.sham")
        identity = {key: summary[-1][key] for key in RUN_ID}
        if metrics["status"] == "ok":
            matmul += matmul_rows(identity, encoding)
            history += history_rows(identity, metrics)
    seed_metrics = iter(inputs.get("baseline_seeds", []))
    for (name, experiment), metrics_path, encoding_path in zip(experiments.items(), inputs["baselines"],
                                                               inputs["baseline_encodings"]):
        encoding = read_record(ENCODE_BASELINE, encoding_path)
        main = baseline_row(name, read_record(TRAIN, metrics_path), encoding, experiment["dataset"],
                            experiment["model"], experiment.get("seed"))
        summary.append(main)
        summary += [baseline_seed_row(main, read_record(TRAIN, next(seed_metrics)), seed)
                    for seed in experiment.get("baseline_seeds", [])]
        matmul += matmul_rows({"experiment": name, "layers": "", "method": "baseline", "params": "", "seed": None},
                              encoding)
    return (pd.DataFrame(summary, columns=SUMMARY_COLUMNS), pd.DataFrame(matmul, columns=MATMUL_COLUMNS),
            pd.DataFrame(history, columns=HISTORY_COLUMNS))


def points(summary):
    """One row per grid point: its seeds' mean, with ``perf_std`` and ``seeds`` (the count).

    The baseline's trainings make one row too, and every row carries its experiment's
    baseline_mean, baseline_std (from two seeds on) and baseline_seeds. Failed seeds, and
    seeds whose kept model diverged, are left out of the mean (the failed-runs table lists
    them); a point whose every seed failed or diverged stays as one such row.
    """
    key = ["experiment", "layers", "method", "params"]
    usable = (summary.status == "ok") & ~summary["diverged"].map(lambda why: isinstance(why, str) and why != "")
    ok, failed = summary[usable], summary[~usable]
    numeric = [c for c in SUMMARY_COLUMNS if c not in key and pd.api.types.is_numeric_dtype(summary[c])
               and c not in ("seed", "higher_is_better")]
    grouped = ok.groupby(key, sort=False, dropna=False)
    means = grouped[numeric].mean()
    first = grouped[[c for c in SUMMARY_COLUMNS if c not in key and c not in numeric]].first()
    table = first.join(means).assign(perf_std=grouped["after_retrain"].std(ddof=0), seeds=grouped.size())
    table = table.reset_index()
    lost = failed[~failed.set_index(key).index.isin(table.set_index(key).index)].drop_duplicates(key)
    table = pd.concat([table, lost.assign(seeds=0)], ignore_index=True)[[*SUMMARY_COLUMNS, "perf_std", "seeds"]]
    return _with_baseline_spread(table)


def _with_baseline_spread(table):
    """Each row with its experiment's baseline over seeds: mean, std (NaN for a single training) and count."""
    base = table[table["method"] == "baseline"].set_index("experiment")
    spread = {"baseline_mean": base["after_retrain"], "baseline_std": base["perf_std"].where(base["seeds"] > 1),
              "baseline_seeds": base["seeds"]}
    return table.assign(**{column: table["experiment"].map(values) for column, values in spread.items()})
