"""`python -m sham_core.bench memory`: peak RSS of the workflow's data, train and compress jobs at a dataset's size.

Seeded random splits of the given shape (default CIFAR-10's: 50,000 training and 10,000 test
32x32x3 images, 10 classes) go through the workflow's own job functions (``sham_core.<stage>.job``),
each in a process of its own: ``data_job`` (as an npz source: data.npz and meta.json, as the data
rule stores them), ``train_job`` and ``compress_job`` with config/paper.yaml's vgg19-cifar10
settings and one of its runs. A job's peak RSS is its process's ``ru_maxrss`` from ``os.wait4``
(native allocations included). To finish in minutes, the jobs run ``--epochs`` epochs and every
Keras fit, evaluate and predict call stops after ``--steps`` batches (set in the job's process);
the splits are still loaded and handed to Keras whole, so memory is a real run's, time is not.
"""
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from ..common.atomic import write_csv

PAPER_CONFIG = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "config",
                            "paper.yaml")
EXPERIMENT = "vgg19-cifar10"
# A run of the grid's largest kind: every conv and dense kernel quantized (k = 256), the dense ones pruned too.
RUN = "vgg19-cifar10/both/cws+pr_cws/conv.k~256/dense.p~90/dense.k~256/dense.pq~study/seed~1"
JOBS = ("data", "train", "compress")
SEED = 1


def run_memory(args):
    """Write the splits, run each job in its own process, print and write the table."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="sham-memory-") as folder:
        write_raw(folder, args)
        for job in JOBS:
            spec = dict(job=job, folder=folder, model=args.model, epochs=args.epochs, steps=args.steps,
                        run=args.compress_run)
            rows.append(dict(run_job(spec), job=job, model=args.model, train_shape=shape_text(args.train, args.shape),
                             test_shape=shape_text(args.test, args.shape), input_mb=round(input_mb(job, folder), 1),
                             epochs=args.epochs, date=datetime.date.today().isoformat(), machine=machine()))
            print(", ".join(f"{key} {value}" for key, value in rows[-1].items()), flush=True)
    columns = ["job", "model", "train_shape", "test_shape", "input_mb", "peak_rss_mb", "epochs", "steps",
               "seconds", "seconds_per_step", "date", "machine"]
    frame = pd.DataFrame(rows)[columns]
    write_csv(frame, args.out)
    print(frame.to_string(index=False))
    print(f"written to {args.out}; seconds: {args.steps} batches per Keras call, not a full run's time")


def write_raw(folder, args):
    """The seeded random splits as the npz file an npz dataset source reads (the data job's input)."""
    rng = np.random.default_rng(SEED)
    arrays = {}
    for split, n in (("train", args.train), ("test", args.test)):
        arrays[f"x_{split}"] = rng.standard_normal((n, *args.shape), dtype=np.float32)
        arrays[f"y_{split}"] = rng.integers(0, args.classes, n).astype(np.int64)
        arrays[f"y_{split}"][:args.classes] = np.arange(min(n, args.classes))  # every class present
    np.savez(os.path.join(folder, "raw.npz"), **arrays)


def run_job(spec):
    """Run one job in a fresh process: its peak RSS (MB), wall seconds, training batches timed and their median
    seconds after the first (which builds the graph)."""
    spec_path = os.path.join(spec["folder"], f"{spec['job']}.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "sham_core.bench.memory", spec_path])
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if process.returncode:
        log = os.path.join(spec["folder"], f"{spec['job']}.log")
        tail = open(log).read()[-3000:] if os.path.exists(log) else ""
        raise RuntimeError(f"the {spec['job']} job failed (exit {process.returncode}):\n{tail}")
    with open(os.path.join(spec["folder"], f"{spec['job']}.steps.json")) as f:
        steps = json.load(f)
    per_step = float(np.median(steps[1:])) if len(steps) > 1 else (steps[0] if steps else None)
    return {"peak_rss_mb": round(usage.ru_maxrss / 1024), "steps": len(steps), "seconds": round(seconds, 1),
            "seconds_per_step": None if per_step is None else round(per_step, 3)}


def input_mb(job, folder):
    """MB of the job's input files, as the workflow's rules list them (Snakemake's input.size_mb)."""
    data = os.path.join(folder, "data")
    names = {"data": [os.path.join(folder, "raw.npz")],
             "train": [os.path.join(data, "data.npz"), os.path.join(data, "meta.json")],
             "compress": [os.path.join(data, "data.npz"), os.path.join(data, "meta.json"),
                          os.path.join(folder, "baseline.keras")]}[job]
    return sum(os.path.getsize(name) for name in names) / 2**20


def shape_text(n, shape):
    """"50000x32x32x3" for n images of shape (32, 32, 3)."""
    return "x".join(str(size) for size in (n, *shape))


def machine():
    """CPU model, cores and memory, e.g. "AMD EPYC 7B13, 2 cores, 24 GiB"."""
    from ..common.measure import cpu_model
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu_model()}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()}"


def child(spec_path):
    """In the job's process: cap Keras' batches per call, then call the job function as its workflow script does."""
    with open(spec_path) as f:
        spec = json.load(f)
    from ..common.jobenv import cpu_only
    cpu_only()
    from ..common.joblog import logging_to
    folder, job = spec["folder"], spec["job"]
    timer = StepTimes(spec["steps"])
    with logging_to(os.path.join(folder, f"{job}.log")):
        data, meta = os.path.join(folder, "data", "data.npz"), os.path.join(folder, "data", "meta.json")
        if job == "data":
            from ..data.job import data_job
            data_job("cifar10", {"source": "npz", "path": os.path.join(folder, "raw.npz"),
                                 "task": "classification"}, SEED, os.path.join(folder, "data"))
        else:
            from ..common.jobenv import gpu_memory_growth
            gpu_memory_growth()
            experiment, run = paper_setup(spec)
            timer.install()
            if job == "train":
                from ..training.job import train_job
                train_job(experiment, data, meta, SEED, os.path.join(folder, "baseline.keras"),
                          os.path.join(folder, "metrics.json"))
            else:
                from ..compression.job import compress_job
                out = {key: os.path.join(folder, "run", name) for key, name in (
                    ("model", "compressed.keras"), ("npz", "compressed.npz"), ("metrics", "metrics.json"),
                    ("artifact", "model.sham"), ("provenance", "provenance.json"))}
                compress_job(run, experiment, os.path.join(folder, "baseline.keras"), data, meta, out)
                status = json.load(open(out["metrics"]))["status"]
                if status != "ok":
                    raise RuntimeError(f"the compression run ended {status}")
    with open(os.path.join(folder, f"{job}.steps.json"), "w") as f:
        json.dump(timer.seconds, f)


def paper_setup(spec):
    """config/paper.yaml's vgg19-cifar10 experiment (defaults filled in by the schema, model and epochs as
    asked) and the run ``spec["run"]``."""
    import yaml

    from ..workflow.config import experiment_config, runs_by_path, validate_config
    with open(PAPER_CONFIG) as f:
        config = yaml.safe_load(f)
    validate_config(config, os.path.join(os.path.dirname(PAPER_CONFIG), "schema.yaml"))
    experiment = experiment_config(config, EXPERIMENT)
    experiment = dict(experiment, model=spec["model"], train=dict(experiment["train"], epochs=spec["epochs"]),
                      retrain=dict(experiment["retrain"], epochs=spec["epochs"]))
    return experiment, runs_by_path(config)[spec["run"]]


class StepTimes:
    """Caps every Keras fit, evaluate and predict call at ``steps`` batches and times each training batch."""

    def __init__(self, steps):
        self.steps, self.seconds = steps, []

    def install(self):
        import keras
        timer = self

        class Timer(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                self.start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                timer.seconds.append(time.perf_counter() - self.start)

        for name, keys in (("fit", ("steps_per_epoch", "validation_steps")), ("evaluate", ("steps",)),
                           ("predict", ("steps",))):
            original = getattr(keras.Model, name)

            def capped(model, *args, _original=original, _keys=keys, _name=name, **kwargs):
                for key in _keys:
                    kwargs[key] = self.steps if kwargs.get(key) is None else min(kwargs[key], self.steps)
                if _name == "fit":
                    kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), Timer()]
                return _original(model, *args, **kwargs)
            setattr(keras.Model, name, capped)


def add_parser(commands, comma_list, int_at_least):
    """Register the ``memory`` subcommand."""
    parser = commands.add_parser("memory", help="peak RSS of the data, train and compress jobs at a dataset's size")
    parser.add_argument("--model", default="vgg19", help="model of sham_core.models (default: %(default)s)")
    parser.add_argument("--shape", type=comma_list(int_at_least(1, "shape")), default=(32, 32, 3),
                        metavar="H,W,C", help="image shape (default: 32,32,3, CIFAR-10's)")
    parser.add_argument("--train", type=int_at_least(1, "train"), default=50_000,
                        help="training images (default: %(default)s)")
    parser.add_argument("--test", type=int_at_least(1, "test"), default=10_000,
                        help="test images (default: %(default)s)")
    parser.add_argument("--classes", type=int_at_least(2, "classes"), default=10,
                        help="classes (default: %(default)s)")
    parser.add_argument("--epochs", type=int_at_least(1, "epochs"), default=1,
                        help="training and retraining epochs (default: %(default)s)")
    parser.add_argument("--steps", type=int_at_least(1, "steps"), default=5,
                        help="batches per Keras fit epoch, evaluate and predict call (default: %(default)s)")
    parser.add_argument("--run", dest="compress_run", default=RUN,
                        help="the compression run, a path of config/paper.yaml's grid (default: %(default)s)")
    parser.add_argument("--out", default="results/bench/memory.csv", help="CSV to write (default: %(default)s)")
    parser.set_defaults(run=run_memory)


if __name__ == "__main__":
    child(sys.argv[1])
