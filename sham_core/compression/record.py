"""The compression stage's record: a run's metrics.json (compress), "ok" or "failed"."""
from ..common.records import RecordKind

RUN_IDENTITY = ("experiment", "model", "dataset", "task", "higher_is_better", "layers_selection", "method",
                "params", "param_path", "point", "seed", "config", "prune_quantize")
COMPRESS = RecordKind("compress", always=(*RUN_IDENTITY, "status", "error"),
                      ok=("metric", "baseline", "after_compress", "after_retrain", "history", "epochs",
                          "kept_epoch", "seconds", "layers", "values", "artifact", "kernel_fraction",
                          "skipped_layers"),
                      location="runs/**/metrics.json")
