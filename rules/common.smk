# Config checks beyond the schema, and input functions. The logic lives in sham_core.workflow.config.
import os
import re

from sham_core.workflow import resources as job_resources
from sham_core.data.fetch import DATASETS_WITH_DOWNLOADS
from sham_core.workflow.config import (
    canonical,
    experiment_config,
    experiment_imports,
    experiment_names,
    extra_baseline_seeds,
    runs_by_path,
)

try:
    RUNS = runs_by_path(config)
    EXPERIMENTS = {name: experiment_config(config, name) for name in experiment_names(config)}
except ValueError as error:
    raise WorkflowError(f"invalid config: {error}")

RUN_DIRS = [f"results/runs/{path}" for path in RUNS]
BASELINE_SEEDS = {name: extra_baseline_seeds(experiment, config["seed"]) for name, experiment in EXPERIMENTS.items()}
TABLES = expand(
    "results/tables/{name}",
    name=[
        "summary.csv",
        "points.csv",
        "matmul.csv",
        "history.csv",
        "best.csv",
        "best.md",
        "best.tex",
        "recommendation.md",
        "paper_comparison.csv",
        "paper_comparison.md",
    ],
)
PLOTS = expand(
    "results/plots/{name}.{ext}",
    name=["psi_vs_performance", "best_perf", "best_space", "matmul_ratios", "retraining_curves", "latency_vs_psi"],
    ext=["png", "svg"],
)


wildcard_constraints:
    experiment="|".join(re.escape(name) for name in EXPERIMENTS),
    dataset="[A-Za-z0-9_.-]+",
    source="[a-z0-9]+",
    layers="dense|conv|both|embedding|recurrent|all",
    method="[a-z_+]+",
    params="[^/]+~[^/]+(/[^/]+~[^/]+)*",
    seed="[0-9]+",


def run_of(wildcards):
    return RUNS[f"{wildcards.experiment}/{wildcards.layers}/{wildcards.method}/{wildcards.params}"]


def experiment_of(*keys):
    """Params: only these keys of the experiment, so that editing others reruns nothing here."""
    return lambda wildcards: canonical({key: _experiment_value(EXPERIMENTS[wildcards.experiment], key) for key in keys})


def _experiment_value(experiment, key):
    return experiment_imports(experiment) if key == "imports" else experiment.get(key)


def dataset_files(wildcards):
    folder = f"results/data/{EXPERIMENTS[wildcards.experiment]['dataset']}"
    return {"data": f"{folder}/data.npz", "meta": f"{folder}/meta.json"}


def dataset_inputs(wildcards):
    """The verified raw files of a downloaded source, or your own npz file."""
    dataset = config["datasets"][wildcards.dataset]
    if dataset["source"] in DATASETS_WITH_DOWNLOADS:
        return {"manifest": f"results/downloads/{dataset['source']}/manifest.json"}
    return {"npz": dataset["path"]} if dataset["source"] == "npz" else {}


def model_file(wildcards):
    """Your own model (model_file) as an input, so that replacing the file reruns what depends on it.

    A file that does not exist is left out, so that its job fails naming it, not the whole workflow.
    """
    path = EXPERIMENTS[wildcards.experiment].get("model_file")
    return {"model_file": path} if path and os.path.exists(path) else {}


def gpus(wildcards):
    """One GPU for a training job of an experiment with gpu: true (Slurm: --gpus=1)."""
    return 1 if EXPERIMENTS[wildcards.experiment]["gpu"] else 0


def cpus_per_task(wildcards):
    """The CPUs a training job asks of Slurm without a GPU (locally it takes one of --cores)."""
    return 0 if gpus(wildcards) else job_resources.TRAINING_CPUS


def cpus_per_gpu(wildcards):
    """The CPUs a training job asks of Slurm beside its GPU."""
    return job_resources.TRAINING_CPUS if gpus(wildcards) else 0


def mem_mb(stage):
    """Memory (MB) of a job of an experiment, from its model and input files; attempt n asks n times the first's."""
    return lambda wildcards, input, attempt: job_resources.mem_mb(
        stage, EXPERIMENTS[wildcards.experiment], input.size_mb, attempt
    )


def runtime(stage):
    """Time limit (minutes) of a job of an experiment; attempt n asks for n times the first's."""
    return lambda wildcards, attempt: job_resources.runtime(stage, EXPERIMENTS[wildcards.experiment], attempt)


def other_mem_mb(rule):
    """Memory (MB) of a data, aggregate or plots job."""
    return lambda wildcards, input, attempt: job_resources.other_mem_mb(rule, input.size_mb, attempt)


def other_runtime(rule):
    """Time limit (minutes) of a data, aggregate or plots job."""
    return lambda wildcards, attempt: job_resources.other_runtime(rule, attempt)


def timing_cores(wildcards):
    """The cores a timing job times on: every core of a local run; 8 where there is no --cores (a cluster, a dry run)."""
    try:
        return workflow.cores
    except WorkflowError:
        return 8


def timing_threads(wildcards):
    """The cores Snakemake sets aside for a timing job: its timing_cores on a cluster; one on a local run, where
    the job takes every core only while it times, holding the machine's job lock alone (sham_core/common/jobenv.py)."""
    try:
        workflow.cores
        return 1
    except WorkflowError:
        return timing_cores(wildcards)


def plot(name, caption):
    """Both files of a plot; the PNG goes into the report with its caption."""
    png = report(f"results/plots/{name}.png", caption=f"../report/{caption}.rst", category="Plots")
    return [png, f"results/plots/{name}.svg"]
