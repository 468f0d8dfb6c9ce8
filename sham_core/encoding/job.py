"""The encoding stage's jobs (rules encode and encode_baseline): every format's bytes, matmul timings,
the compressed model's latency and peak memory."""
from concurrent.futures import ThreadPoolExecutor

from ..common.atomic import read_json
from ..common.jobenv import Unlocked
from ..common.loading import CONFIG_OPTION, import_modules
from ..common.measure import with_peak_rss
from ..common.records import read_record, write_record
from ..compression.record import COMPRESS
from .record import ENCODE, ENCODE_BASELINE


def encode_job(paths, timing, threads, out_path, imports=(), slot=None):
    """Encode one run (a failed run passes through) with ``threads`` numba threads; time its inference.

    paths: model, npz, metrics, data, artifact (the run's .sham file), baseline (baseline.keras).
    imports: the experiment's modules of custom layers, imported here and in the memory child.
    slot: the job's jobenv.JobSlot: the encodings, the memory child and the models' loading run
    beside other jobs; the matmul and latency timings run alone (``slot.exclusive()``).
    """
    import numba

    from ..common.backend import keep_tensorflow_out
    from .run import encode_run
    from .inference_cost import latencies, latency_models, peak_memory
    slot = slot or Unlocked()
    keep_tensorflow_out()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    import_modules(imports, CONFIG_OPTION)
    slot.checkpoint()
    metrics = read_record(COMPRESS, paths["metrics"])
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
    write_record(ENCODE, with_peak_rss(encoding), out_path)


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

    from ..common.backend import keep_tensorflow_out
    from .run import encode_baseline
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
    write_record(ENCODE_BASELINE, encoding, out_path)
