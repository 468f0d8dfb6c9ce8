"""What each workflow job asks a cluster for: memory, time and CPUs, from its experiment and its attempt.

The rules declare these as resources, so every executor sees them (Slurm: ``--mem``, ``-t``,
``--cpus-per-task`` / ``--cpus-per-gpu``); a local run does not limit them. Attempt n, a retry
after a failure (``retries:`` in profiles/slurm), asks for n times the memory and time of the first.

Memory is a base per model plus a multiple of the job's input files: the jobs load the data splits
whole, and the data dominate for the large datasets. Measured: vgg_mini/digits (every job under
0.9 GB, encode jobs 1.6 GB with their memory child, all under a minute), and vgg19's train and
compress jobs at CIFAR-10's size by ``python -m sham_core.bench memory`` (2026-12-07, on the CPU of
a 2-core AMD EPYC with 24 GiB): peak RSS train 3,863 MB (input 704 MB), compress 4,926 MB (input
1,001 MB, the "both" cws+pr_cws k=256 run). Their BASE_MB is 1.5 x that peak minus INPUT_FACTOR x
the input, rounded up to 500 MB, so that a CIFAR-sized job asks for about 1.5 x its measured peak.
Still estimates: vgg19's encode memory, every deepdta figure, and every time limit beyond vgg_mini
(the runs on GPUs; the benchmark ran a few steps on a CPU, whose times say nothing of a GPU's), and
the host memory a GPU adds (the CUDA runtime's, not measured). Raise them here when jobs hit them.
"""
STAGES = ("train", "compress", "encode")

# MB of a first attempt beyond INPUT_FACTOR x the job's input files, per stage.
BASE_MB = {
    "vgg_mini": {"train": 2000, "compress": 2000, "encode": 3000},
    "vgg19": {"train": 4000, "compress": 4500, "encode": 8000},  # train, compress: measured (see above)
    "deepdta": {"train": 6000, "compress": 6000, "encode": 6000},
    "deepdta_mini": {"train": 2000, "compress": 2000, "encode": 3000},
}
OWN_MODEL_MB = {"train": 8000, "compress": 8000, "encode": 8000}  # a model_file or another model
INPUT_FACTOR = 3

# Minutes of a first attempt, per stage.
MINUTES = {
    "vgg_mini": {"train": 30, "compress": 30, "encode": 30},
    "vgg19": {"train": 240, "compress": 120, "encode": 60},
    "deepdta": {"train": 240, "compress": 120, "encode": 60},
    "deepdta_mini": {"train": 30, "compress": 30, "encode": 30},
}
OWN_MODEL_MINUTES = {"train": 240, "compress": 120, "encode": 60}

# The rules without an experiment: (MB beyond INPUT_FACTOR x inputs, minutes).
OTHER = {"data": (2000, 30), "aggregate": (4000, 30), "plots": (2000, 30)}

# CPUs a training job asks of Slurm; locally it takes one of --cores (TensorFlow uses every core
# it sees either way; one lets the jobs overlap their single-threaded start-up).
TRAINING_CPUS = 4


def _known(experiment):
    return experiment["model"] in BASE_MB and not experiment.get("model_file")


def mem_mb(stage, experiment, input_mb, attempt=1):
    """Memory (MB) of one job of ``stage`` ("train", "compress", "encode") of ``experiment`` (its config)."""
    base = BASE_MB[experiment["model"]] if _known(experiment) else OWN_MODEL_MB
    return int(attempt * (base[_stage(stage)] + INPUT_FACTOR * input_mb))


def runtime(stage, experiment, attempt=1):
    """Time limit (minutes) of one job of ``stage`` of ``experiment``."""
    minutes = MINUTES[experiment["model"]] if _known(experiment) else OWN_MODEL_MINUTES
    return attempt * minutes[_stage(stage)]


def other_mem_mb(rule, input_mb, attempt=1):
    """Memory (MB) of a data, aggregate or plots job."""
    return int(attempt * (OTHER[rule][0] + INPUT_FACTOR * input_mb))


def other_runtime(rule, attempt=1):
    """Time limit (minutes) of a data, aggregate or plots job."""
    return attempt * OTHER[rule][1]


def _stage(stage):
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    return stage
