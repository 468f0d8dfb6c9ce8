"""The training stage's job (rules train_baseline and train_baseline_seed): the experiment's baseline."""
from ..common.atomic import atomic_path, read_json
from ..common.jobenv import Unlocked
from ..common.metrics import higher_is_better
from ..common.records import write_record
from ..data import load_split
from .record import TRAIN


def train_job(experiment, data_path, meta_path, seed, model_path, metrics_path, slot=None):
    """Train the experiment's baseline (or load its model_file) and save it with its metrics.

    The metric's direction comes from its name (or the experiment's higher_is_better:); an unknown
    metric without one is an error here, before any run compresses the model.
    slot: the job's jobenv.JobSlot, whose checkpoint runs after the imports and after every epoch.
    """
    import keras

    from ..common.backend import keep_tensorflow_out
    from ..models import build_model
    from .fit import baseline_metrics, compile_for, load_model_file, train_baseline
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
    write_record(TRAIN, dict(metrics, task=task, weights=int(model.count_params())), metrics_path)
