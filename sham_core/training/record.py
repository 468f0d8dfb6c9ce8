"""The training stage's record: a baseline's metrics.json (train_baseline, train_baseline_seed)."""
from ..common.records import RecordKind

TRAIN = RecordKind("train", always=("metric", "test", "train", "epochs", "seconds", "task", "weights",
                                    "higher_is_better"),
                   ok=(), location="models/**/metrics.json")
