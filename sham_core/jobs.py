"""What each workflow job does, from input paths to output paths (the scripts only call these).

Every output is written atomically; a compression job writes ``metrics.json`` last. The metrics.json
and encoding.json files are typed records (sham_core.records).
"""
import resource
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .atomic import atomic_path, read_json, write_json
from .data import load_split, prepare
from .jobenv import Unlocked
from .loading import CONFIG_OPTION, import_modules, load_model
from .metrics import higher_is_better
from .records import read_record, write_record

OWN_OPTIMIZER_LR_SCALE = 0.1  # a model_file is retrained with its own optimizer at a tenth of its learning rate


def download_job(source, dest_dir, mirror, manifest_path):
    """Fetch and verify a source's raw files; the manifest (written last) lists them with digests."""
    from .data.fetch import fetch, registry_entries
    paths = fetch(source, dest_dir, mirror=mirror)
    digests = {entry.path: entry.digest for entry in registry_entries(source)}
    write_json({"source": source, "mirror": mirror, "files": {name: digests[name] for name in sorted(paths)}},
               manifest_path)
    print(f"{source}: {len(paths)} files verified")


def data_job(name, dataset_config, seed, out_dir, raw_dir=None):
    """Prepare one dataset into ``out_dir`` (data.npz, meta.json), from ``raw_dir`` if downloaded."""
    meta = prepare(name, dataset_config, out_dir, seed, raw_dir)
    print(f"dataset {name}: {meta['n_train']} train, {meta['n_test']} test, task {meta['task']}")


def train_job(experiment, data_path, meta_path, seed, model_path, metrics_path, slot=None):
    """Train the experiment's baseline (or load its model_file) and save it with its metrics.

    The metric's direction comes from its name (or the experiment's higher_is_better:); an unknown
    metric without one is an error here, before any run compresses the model.
    slot: the job's jobenv.JobSlot, whose checkpoint runs after the imports and after every epoch.
    """
    import keras

    from .backend import keep_tensorflow_out
    from .models import build_model
    from .training import baseline_metrics, compile_for, load_model_file, train_baseline
    slot = slot or Unlocked()
    keep_tensorflow_out()
    slot.checkpoint()
    keras.utils.set_random_seed(seed)  # before the model's weights are initialised
    meta, settings = read_json(meta_path), experiment["train"]
    task = meta["task"]
    train, test = load_split(data_path, "train"), load_split(data_path, "test")
    if experiment.get("model_file"):
        model = load_model_file(experiment["model_file"], task, settings, experiment.get("imports"))
        metrics = dict(baseline_metrics(model, task, train, test, settings["batch_size"]), epochs=0, seconds=0.0)
    else:
        model = build_model(experiment["model"], meta["input_shapes"], task, meta["classes"])
        compile_for(model, task, settings)
        checkpoints = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: slot.checkpoint())
        metrics = train_baseline(model, task, train, test, settings, seed, callbacks=[checkpoints])
    metrics["higher_is_better"] = higher_is_better(metrics["metric"], experiment.get("higher_is_better"))
    with atomic_path(model_path) as tmp:
        model.save(tmp)
    write_record("train", dict(metrics, task=task, weights=int(model.count_params())), metrics_path)


def compress_job(run, experiment, model_path, data_path, meta_path, out, slot=None):
    """Compress and retrain one run (with the run's seed); an invalid parameter point is status "failed".

    Retraining keeps its best epoch unless retrain: keep_best: false, and records a divergence:
    ``diverged`` in metrics.json says why when the kept model is a diverged one. metrics.json also
    records kernel_fraction, the share of the model's kernel parameters compressed, and skipped_layers.
    The experiment's imports: are imported before the model is loaded (its custom layers); its
    layers: {include, exclude} (regexes on kernel names) narrows every run's selection.
    slot: the job's jobenv.JobSlot, whose checkpoint runs between the job's stages.
    """
    from .artifact import save as save_artifact
    from .backend import keep_tensorflow_out
    from .compression import compress
    from .compression.coverage import coverage_text
    from .compression.retrain import metric_of
    from .provenance import write_provenance
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
    write_record("compress", with_peak_rss(record), out["metrics"])


def retrain_optimizer(model, experiment):
    """The retraining optimizer: retrain's optimizer: (sgd when unset), or for a model_file without one,
    the optimizer it was compiled with at a tenth of its learning rate."""
    from .compression.retrain import own_optimizer
    from .training import make_optimizer
    settings = experiment["retrain"]
    if experiment.get("model_file") and "optimizer" not in settings:
        return own_optimizer(model, OWN_OPTIMIZER_LR_SCALE)
    return make_optimizer({"optimizer": "sgd", **settings})


def _describe(optimizer):
    """An optimizer's class and learning rate, e.g. "Adam lr 0.0001"."""
    from .compression.retrain import learning_rate
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
    write_record("compress", with_peak_rss(record), out["metrics"])


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


def encode_job(paths, timing, threads, out_path, imports=(), slot=None):
    """Encode one run (a failed run passes through) with ``threads`` numba threads; time its inference.

    paths: model, npz, metrics, data, artifact (the run's .sham file), baseline (baseline.keras).
    imports: the experiment's modules of custom layers, imported here and in the memory child.
    slot: the job's jobenv.JobSlot: the encodings, the memory child and the models' loading run
    beside other jobs; the matmul and latency timings run alone (``slot.exclusive()``).
    """
    import numba

    from .backend import keep_tensorflow_out
    from .encoding import encode_run
    from .inference_cost import latencies, latency_models, peak_memory
    slot = slot or Unlocked()
    keep_tensorflow_out()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    import_modules(imports, CONFIG_OPTION)
    slot.checkpoint()
    metrics = read_record("compress", paths["metrics"])
    with ThreadPoolExecutor(1) as child:
        memory = (child.submit(peak_memory, "artifact", paths["artifact"], paths["data"], imports)
                  if timing["memory"] and metrics.get("status") == "ok" else None)
        timed = latency_models(paths["artifact"], paths["baseline"], paths["data"]) \
            if metrics.get("status") == "ok" else None
        slot.checkpoint()
        encoding = encode_run(paths["model"], paths["npz"], metrics, paths["data"], timing["timing_repeats"],
                              timing["timing_budget_s"], timing["baselines"],
                              before_timing=lambda: _alone(slot, memory))
    if encoding["status"] == "ok":
        encoding["latency"] = latencies(*timed)
        if memory is not None:
            encoding["peak_memory"] = memory.result()
    print(f"{metrics['experiment']}/{metrics['layers_selection']}/{metrics['method']}/{metrics['param_path']}: "
          f"{encoding['status']}, psi {encoding.get('psi', {}).get('network', {}).get('choice', 'n/a')}")
    write_record("encode", with_peak_rss(encoding), out_path)


def with_peak_rss(record):
    """``record`` with the job's peak resident memory so far, in MB (``peak_rss_mb``): this process's peak
    plus its largest child's (the memory child), a bound on what the job held at once. The summary's
    max_rss_mb: the benchmark file of a job forked from the job server watched only the waiting script."""
    own, child = (resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return dict(record, peak_rss_mb=(own + child) / 1024)


def _alone(slot, *children):
    """Wait for the job's memory children (their peaks are what they measure), then hold the machine alone."""
    for child in children:
        if child is not None:
            child.result()
    slot.exclusive()


def encode_baseline_job(model_path, data_path, meta_path, timing, threads, out_path, imports=(), slot=None):
    """Encode every kernel of the uncompressed baseline; measure its peak memory and, once, the keras import's.

    imports: the experiment's modules of custom layers, imported here and in the memory child.
    slot: as for encode_job (the memory children run beside other jobs, the timings alone).
    """
    import numba

    from .backend import keep_tensorflow_out
    from .encoding import encode_baseline
    from .inference_cost import peak_memory
    from .latency import keras_import_mb
    slot = slot or Unlocked()
    keep_tensorflow_out()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    import_modules(imports, CONFIG_OPTION)
    slot.checkpoint()
    with ThreadPoolExecutor(2) as children:
        memory = children.submit(peak_memory, "keras", model_path, data_path, imports) if timing["memory"] else None
        floor = children.submit(keras_import_mb) if timing["memory"] else None
        encoding = encode_baseline(model_path, data_path, read_json(meta_path)["task"], timing["timing_repeats"],
                                   timing["timing_budget_s"], timing["baselines"],
                                   before_timing=lambda: _alone(slot, memory, floor))
    if memory is not None:
        encoding["peak_memory"] = dict(memory.result(), keras_import_mb=floor.result())
    write_record("encode_baseline", encoding, out_path)
