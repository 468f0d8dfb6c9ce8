"""The compression stage's job (rule compress): one run of the grid compressed, retrained and saved.

Every output is written atomically, ``metrics.json`` (a typed record, ``record.COMPRESS``) last.
"""
import time

import numpy as np

from ..common.atomic import atomic_path, read_json
from ..common.jobenv import Unlocked
from ..common.loading import CONFIG_OPTION, load_model
from ..common.measure import with_peak_rss
from ..common.metrics import higher_is_better
from ..common.records import write_record
from ..data import load_split
from .record import COMPRESS

OWN_OPTIMIZER_LR_SCALE = 0.1  # a model_file is retrained with its own optimizer at a tenth of its learning rate


def compress_job(run, experiment, model_path, data_path, meta_path, out, slot=None):
    """Compress and retrain one run (with the run's seed); an invalid parameter point is status "failed".

    Retraining keeps its best epoch unless retrain: keep_best: false, and records a divergence:
    ``diverged`` in metrics.json says why when the kept model is a diverged one. metrics.json also
    records kernel_fraction, the share of the model's kernel parameters compressed, and skipped_layers.
    The experiment's imports: are imported before the model is loaded (its custom layers); its
    layers: {include, exclude} (regexes on kernel names) narrows every run's selection.
    slot: the job's jobenv.JobSlot, whose checkpoint runs between the job's stages.
    """
    from ..artifact import save as save_artifact
    from ..common.backend import keep_tensorflow_out
    from .api import compress
    from .coverage import coverage_text
    from ..models.compiled import metric_of
    from ..common.provenance import write_provenance
    slot = slot or Unlocked()
    keep_tensorflow_out()
    slot.checkpoint()
    meta, settings = read_json(meta_path), experiment["retrain"]
    model = load_model(model_path, experiment.get("imports"), CONFIG_OPTION)
    configured = experiment.get("higher_is_better")
    record = run_identity(run, experiment, meta["task"], higher_is_better(metric_of(model), configured))
    optimizer = retrain_optimizer(model, experiment)
    method, params, prune_quantize = run.compress_args()
    slot.checkpoint()
    start = time.perf_counter()
    try:
        res = compress(model, method, run.layers, params, prune_quantize=prune_quantize,
                       train=load_split(data_path, "train"),
                       test=load_split(data_path, "test"), epochs=settings["epochs"],
                       batch_size=settings["batch_size"], lr_cumulative=settings["lr_cumulative"],
                       optimizer=optimizer, patience=settings["patience"], seed=run.seed, verbose=2,
                       keep_best=settings.get("keep_best", True), higher_is_better=configured,
                       names=experiment.get("layers"))
    except ValueError as error:
        print(f"run {run.path} failed: {error}")
        write_provenance(out["provenance"], run.seed, prune_quantize=run.prune_quantize)
        _write_failed(out, dict(record, status="failed", error=str(error)))
        return
    history = res.history
    record.update(status="ok", error=None, metric=res.metric, baseline=res.before,
                  after_compress=res.after_compress, after_retrain=res.after_retrain,
                  history=history, epochs=len(history["train"]), keep_best=settings.get("keep_best", True),
                  kept_epoch=history.get("kept_epoch", len(history["train"])),
                  diverged=history.get("diverged") if history.get("kept_diverged") else None,
                  optimizer=_describe(optimizer), seconds=time.perf_counter() - start,
                  layers=[_layer_record(r) for r in res.layers], values=_group_values(res.layers), **res.coverage)
    print(f"{run.path}: {res.metric} {res.before:.4f} -> {res.after_compress:.4f} -> {res.after_retrain:.4f} "
          f"(epoch {record['kept_epoch']} kept{'; diverged: ' + record['diverged'] if record['diverged'] else ''})")
    print(f"{run.path}: {coverage_text(res.coverage)}")
    slot.checkpoint()
    with atomic_path(out["model"]) as tmp:
        res.model.save(tmp)
    with atomic_path(out["npz"]) as tmp:
        np.savez(tmp, **_layer_arrays(res.layers))
    record["artifact"] = save_artifact(res, out["artifact"], params=run.params,
                                       info={"experiment": run.experiment, "layers": run.layers, "seed": run.seed,
                                             "prune_quantize": run.prune_quantize})
    write_provenance(out["provenance"], run.seed, prune_quantize=run.prune_quantize)
    write_record(COMPRESS, with_peak_rss(record), out["metrics"])


def retrain_optimizer(model, experiment):
    """The retraining optimizer: retrain's optimizer: (sgd when unset), or for a model_file without one,
    the optimizer it was compiled with at a tenth of its learning rate."""
    from .retrain import own_optimizer
    from ..training.fit import make_optimizer
    settings = experiment["retrain"]
    if experiment.get("model_file") and "optimizer" not in settings:
        return own_optimizer(model, OWN_OPTIMIZER_LR_SCALE)
    return make_optimizer({"optimizer": "sgd", **settings})


def _describe(optimizer):
    """An optimizer's class and learning rate, e.g. "Adam lr 0.0001"."""
    from .retrain import learning_rate
    return f"{type(optimizer).__name__} lr {learning_rate(optimizer):g}"


def run_identity(run, experiment, task, hib):
    """The fields that name a run in every file it produces (hib: whether higher is better)."""
    return {"experiment": run.experiment, "model": experiment["model"], "dataset": experiment["dataset"],
            "task": task, "higher_is_better": hib, "layers_selection": run.layers,
            "method": run.method, "params": run.params, "param_path": run.param_path,
            "point": run.point_path, "seed": run.seed, "config": run.config_label,
            "prune_quantize": run.prune_quantize}


def _write_failed(out, record):
    """Failed runs keep their outputs' names: an empty npz and empty model files, the reason in metrics."""
    with atomic_path(out["npz"]) as tmp:
        np.savez(tmp)
    for key in ("model", "artifact"):
        with atomic_path(out[key]) as tmp:
            open(tmp, "w").close()
    write_record(COMPRESS, with_peak_rss(record), out["metrics"])


def _layer_record(record):
    return {"name": record.name, "kind": record.kind, "method": record.method, "shape": list(record.shape),
            "zeroed": record.zeroed, "values": record.info.get("values"), "rank": record.info.get("rank"),
            "zero_fraction": float(np.mean(record.kernel == 0))}


def _group_values(records):
    """Per quantized kind, the distinct nonzero values its kernels really hold after retraining."""
    kinds = {record.kind for record in records if record.codebook is not None}
    return {kind: int(np.unique(np.concatenate([r.kernel[r.kernel != 0] for r in records if r.kind == kind])).size)
            for kind in sorted(kinds)}


def _layer_arrays(records):
    arrays = {}
    for record in records:
        arrays[f"{record.name}:kernel"] = record.kernel
        if record.factors is not None:
            arrays[f"{record.name}:us"], arrays[f"{record.name}:v"] = record.factors
    return arrays
