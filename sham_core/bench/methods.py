"""The ``methods`` benchmark: compression time of every method, and retraining speed.

1. Each method's compression step (``compress`` with epochs=0: kernel extraction, the
   method, baking into a model copy) on random weights of VGG19's fully connected shapes
   (512x4096, 4096x4096, 4096x10; 19 M weights). Target: <= 10 s per method on 2 cores.
2. One epoch of compressed retraining as a ratio to one epoch of plain ``model.fit`` of
   the same small VGG-style CNN and data, on whatever device the Keras backend uses.
   An epoch's time is the difference between runs of 1 and 1 + E epochs, divided by E,
   so that tracing and compilation do not count; each is the median of a few rounds,
   timed in turn. Target: ratio <= 1.3.
"""
import os
import platform
import time

FC_SHAPES = ((512, 4096), (4096, 4096), (4096, 10))
QUICK_FC_SHAPES = ((64, 256), (256, 256), (256, 10))
PARAMS = {
    "pr": {"p": 90}, "cws": {"k": 32}, "pws": {"k": 32}, "uq": {"k": 32}, "ecsq": {"k": 32},
    "pr_cws": {"p": 90, "k": 32}, "pr_pws": {"p": 90, "k": 32}, "pr_uq": {"p": 90, "k": 32},
    "pr_ecsq": {"p": 90, "k": 32}, "slr": {"q": 64, "sr": 0.5, "rr": 0.5},
}
EXTRA_RUNS = (("cws", {"k": 256}), ("ecsq", {"k": 256}), ("uq", {"k": 256}))
RETRAIN_METHODS = ("pr", "cws", "pr_cws", "ecsq")
# The codebooks' learning rate in retraining: the study's for VGG19 (config/paper.yaml). At the
# API's default, 1e-3 (the study's command-line default), a codebook shared by a whole layer of this
# CNN steps far enough to diverge in an epoch.
LR_CUMULATIVE = 1e-6


def fc_model(shapes):
    """A Dense-only model with the given kernel shapes and glorot-random weights."""
    import keras
    keras.utils.set_random_seed(0)
    layers = [keras.Input((shapes[0][0],))]
    layers += [keras.layers.Dense(m, name=f"fc{i}") for i, (_, m) in enumerate(shapes)]
    return keras.Sequential(layers)


def vgg_style_cnn(classes=10):
    """A small VGG-style CNN: two conv blocks with BatchNorm, two hidden Dense layers."""
    import keras
    keras.utils.set_random_seed(0)
    layers = [keras.Input((32, 32, 3))]
    for filters in (32, 64):
        layers += [keras.layers.Conv2D(filters, 3, padding="same", activation="relu"),
                   keras.layers.BatchNormalization(), keras.layers.MaxPooling2D()]
    layers += [keras.layers.Flatten(), keras.layers.Dense(256, activation="relu"),
               keras.layers.Dropout(0.3), keras.layers.Dense(256, activation="relu"),
               keras.layers.Dense(classes)]
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def time_compression(shapes, runs):
    """Yield (method, params, seconds, detail) for each compression step."""
    from ..compression import compress
    model = fc_model(shapes)
    for method, params in runs:
        start = time.perf_counter()
        res = compress(model, method, "dense", params)
        seconds = time.perf_counter() - start
        yield method, params, seconds, _detail(res.layers)


def _detail(records):
    record = records[0]
    if record.codebook is not None:
        return f"{record.info['values']} values"
    if record.factors is not None:
        return f"rank {record.info['rank']}"
    return f"{sum(int((r.kernel == 0).sum()) for r in records) / sum(r.kernel.size for r in records):.1%} zeros"


def epoch_seconds(run, extra):
    """Seconds per epoch: (time of run(1 + extra) - time of run(1)) / extra, where ``run(epochs)`` returns the
    epochs it trained; None when a run trained fewer than asked (a retraining that stopped at a divergence),
    since the difference then times no epoch."""
    start = time.perf_counter()
    trained = [run(1)]
    one = time.perf_counter() - start
    start = time.perf_counter()
    trained.append(run(1 + extra))
    seconds = (time.perf_counter() - start - one) / extra
    return seconds if trained == [1, 1 + extra] else None


def learnable_images(samples, classes=10, seed=0):
    """(x, y): 32x32x3 images, each half its class's fixed random template and half noise.

    A CNN learns these in an epoch, so a retrained model keeps telling the classes apart;
    on random labels it learns nothing, and cws's and ecsq's retraining collapses to one
    output for every input (a divergence, which stops it before any epoch can be timed).
    """
    import numpy as np
    rng = np.random.default_rng(seed)
    templates = rng.random((classes, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, classes, samples)
    x = 0.5 * templates[y] + 0.5 * rng.random((samples, 32, 32, 3), dtype=np.float32)
    return x, y


def time_retraining(samples, extra, methods, rounds):
    """Yield (label, seconds per epoch, ratio to plain fit) for plain fit and each method.

    The methods compress a model trained for one epoch, as the workflow compresses a trained one.
    Plain fit and every method are timed in turn, ``rounds`` times, and each keeps its median,
    so that a slow spell of a shared machine falls on all of them alike. A method whose
    retraining stopped at a divergence in any round gets None.
    """
    import numpy as np
    from ..compression import compress
    x, y = learnable_images(samples)
    model = vgg_style_cnn()
    model.fit(x, y, epochs=1, batch_size=128, verbose=0)

    def plain(epochs):
        copy = vgg_style_cnn()
        return len(copy.fit(x, y, epochs=epochs, batch_size=128, verbose=0).history["loss"])

    def retrain(method):
        def run(epochs):
            res = compress(model, {"conv": method, "dense": method}, "both",
                           {"conv": PARAMS[method], "dense": PARAMS[method]}, train=(x, y), epochs=epochs,
                           batch_size=128, lr_cumulative=LR_CUMULATIVE)
            return len(res.history["train"])
        return run

    runs = {"plain fit": plain, **{f"{method} (both)": retrain(method) for method in methods}}
    times = {label: [] for label in runs}
    for _ in range(rounds):
        for label, run in runs.items():
            times[label].append(epoch_seconds(run, extra))
    medians = {label: None if None in seconds else float(np.median(seconds)) for label, seconds in times.items()}
    base = medians["plain fit"]
    for label, seconds in medians.items():
        yield label, seconds, None if seconds is None else seconds / base


def run_methods(args):
    """Print both tables and the worst figure of each against its target."""
    import keras

    from ..compression.methods import get_method
    for name in args.methods:
        get_method(name)
    shapes = QUICK_FC_SHAPES if args.quick else FC_SHAPES
    runs = [(m, PARAMS[m]) for m in args.methods] + ([] if args.quick else list(EXTRA_RUNS))
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, keras {keras.__version__} "
          f"on {keras.backend.backend()}; weights: {' + '.join(f'{n}x{m}' for n, m in shapes)}")
    print(f"{'method':<8} {'params':<28} {'seconds':>8}  result   (target <= 10 s)")
    worst = 0.0
    for method, params, seconds, detail in time_compression(shapes, runs):
        worst = max(worst, seconds)
        print(f"{method:<8} {str(params):<28} {seconds:8.2f}  {detail}", flush=True)
    print(f"\n# one retraining epoch, {args.samples} samples of 32x32x3, batch 128, median of {args.rounds} "
          "rounds (target ratio <= 1.3)")
    worst_ratio, untimed = 0.0, 0
    retrained = [method for method in RETRAIN_METHODS if method in args.methods]
    for label, seconds, ratio in time_retraining(args.samples, args.extra_epochs, retrained, args.rounds):
        if seconds is None:
            untimed += 1
            print(f"{label:<16} not timed: its retraining stopped at a divergence", flush=True)
            continue
        worst_ratio = max(worst_ratio, ratio)
        print(f"{label:<16} {seconds:8.3f} s/epoch  ratio {ratio:5.2f}", flush=True)
    print(f"\n# worst compression step {worst:.2f} s (target 10), "
          f"worst retraining ratio {worst_ratio:.2f} (target 1.3)"
          + (f", {untimed} retraining(s) not timed" if untimed else ""))


def add_parser(commands, comma_list, int_at_least):
    """Register the ``methods`` subcommand."""
    parser = commands.add_parser("methods", help="compression time per method and retraining speed")
    parser.add_argument("--methods", type=comma_list(str),
                        default=tuple(PARAMS), metavar="NAME,...",
                        help=f"methods to time (default: all; retraining: {', '.join(RETRAIN_METHODS)} among them)")
    parser.add_argument("--samples", type=int_at_least(128, "samples"), default=4096,
                        help="training samples for the retraining ratio (default: %(default)s)")
    parser.add_argument("--extra-epochs", type=int_at_least(1, "extra epochs"), default=2,
                        help="epochs timed beyond the first (default: %(default)s)")
    parser.add_argument("--rounds", type=int_at_least(1, "rounds"), default=3,
                        help="times each retraining epoch is measured, in turn; the median is kept "
                             "(default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="smoke test: small shapes, no k=256 runs")
    parser.set_defaults(run=run_methods)
