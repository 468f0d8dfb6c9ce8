"""sham_core's command line: compress a Keras model into one model file, and predict with that file.

    python -m sham_core compress MODEL.keras --method pr_uq --layers dense --p 90 --k 32 -o model.sham
    python -m sham_core compress MODEL.keras --layers both --conv-method cws --conv-k 32 \\
        --dense-method pr_uq --dense-p 90 --dense-k 32 --data data.npz --epochs 3 -o model.sham
    python -m sham_core predict model.sham inputs.npy -o predictions.npy

With --layers both, each side reads --conv-X / --dense-X (method and parameters), falling back
to the unprefixed --X. --data is an npz with x_train, y_train, x_test, y_test (x_train_0, ...
for several inputs); predict's inputs are one .npy array, or an .npz of x_0, x_1, ... per input.
A model with custom layers needs the module that defines them: --import mypkg.layers (repeatable).
compress prints the share of the model's kernel parameters it compressed and the layers it left.
"""
import argparse
import os
import sys
import zipfile

import numpy as np

from .compression import METHODS
from .common.kinds import SELECTIONS

SIDES = ("conv", "dense")
PARAMS = {"p": float, "k": int, "q": int, "sr": float, "rr": float}


def main(argv=None):
    """Parse the command line and run the command; bad input exits with a usage error."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for path in filter(None, (getattr(args, name) for name in args.files)):
        if not os.path.isfile(path):
            parser.error(f"no such file: {path}")
    try:
        args.run(parser, args)
    except ValueError as error:
        parser.error(str(error))


def at_least(low):
    """An argparse type: an integer no smaller than ``low``, else a usage error saying so."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, not {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low} or more, not {value}")
        return value
    return parse


def build_parser():
    """The argument parser with its compress and predict commands."""
    parser = argparse.ArgumentParser(prog="python -m sham_core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    compress = commands.add_parser("compress", help="compress a Keras model and save it as one model file")
    compress.add_argument("model", help="a trained .keras (or .h5) model")
    compress.add_argument("--layers", choices=SELECTIONS, default="dense",
                          help="which kernels: by kind (see sham_core.models.selection; default: %(default)s)")
    compress.add_argument("--include", metavar="REGEX", help="only the selected kernels whose names (paths) match")
    compress.add_argument("--exclude", metavar="REGEX", help="leave out the selected kernels whose names match")
    compress.add_argument("--data", help="npz with the train and test splits (for metrics and retraining)")
    compress.add_argument("--epochs", type=at_least(0), default=0, help="retraining epochs (default: 0; needs --data)")
    compress.add_argument("--batch-size", type=at_least(1), default=128)
    compress.add_argument("--seed", type=int, default=1)
    compress.add_argument("--prune-quantize", choices=("survivors", "study"), default="survivors",
                          help="pr_X methods: quantize the survivors of pruning (default), or the whole pruned "
                               "matrix then mask, as the study's code does")
    compress.add_argument("-o", "--output", required=True, help="the model file to write (e.g. model.sham)")
    add_imports(compress)
    for prefix in ("", *(f"{side}-" for side in SIDES)):
        compress.add_argument(f"--{prefix}method", choices=list(METHODS), metavar="METHOD",
                              help=f"one of {', '.join(METHODS)}" if not prefix else None)
        for key, kind in PARAMS.items():
            compress.add_argument(f"--{prefix}{key}", type=kind, metavar=key.upper())
        compress.add_argument(f"--{prefix}lambdas", type=float, nargs="+", metavar="LAMBDA")
    compress.set_defaults(run=run_compress, files=("model", "data"))
    predict = commands.add_parser("predict", help="run a model file on some inputs")
    predict.add_argument("model", help="a model file written by compress")
    predict.add_argument("inputs", help=".npy with the inputs, or .npz with x_0, x_1, ... for several inputs")
    predict.add_argument("-o", "--output", help=".npy to write the predictions to (default: print them)")
    predict.add_argument("--batch-size", type=at_least(1), default=256)
    predict.add_argument("--allow-nan", action="store_true",
                         help="predict even on NaN or infinite inputs (with a warning); their rows may come out NaN")
    add_imports(predict)
    predict.set_defaults(run=run_predict, files=("model", "inputs"))
    stamp = commands.add_parser("stamp-records", help="give the complete metrics.json and encoding.json files an "
                                                      "older version wrote their record kind and version")
    stamp.add_argument("results", help="the workflow's results folder")
    stamp.set_defaults(run=run_stamp, files=())
    return parser


def run_stamp(parser, args):
    """Stamp the complete older records under the results folder; list those that need their job rerun."""
    from .common.records import stamp_older
    from .compression.record import COMPRESS
    from .encoding.record import ENCODE, ENCODE_BASELINE
    from .training.record import TRAIN
    if not os.path.isdir(args.results):
        parser.error(f"no such folder: {args.results}")
    stamped, refused = stamp_older(args.results, (TRAIN, ENCODE_BASELINE, COMPRESS, ENCODE))
    print(f"{len(stamped)} records stamped, {len(refused)} left as they were")
    for why in refused:
        print(f"  needs its job rerun: {why}")
    if refused:
        sys.exit(1)


def add_imports(command):
    """The repeatable --import MODULE option: modules that define the model's custom layers."""
    command.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                         help="import this module before loading the model (one that defines and registers "
                              "its custom layers, e.g. mypkg.layers); repeatable")


def run_compress(parser, args):
    """Compress the model as asked, save the model file, and print psi, its size, what it covered and the metrics."""
    from .artifact import save
    from .compression import compress
    from .compression.coverage import coverage_text
    from .data import load_split
    from .common.loading import load_model
    if args.epochs and not args.data:
        parser.error("--epochs needs --data to retrain on")
    method, params = request(parser, args)
    model = load_model(args.model, args.imports)
    train, test = (load_split(args.data, "train"), load_split(args.data, "test")) if args.data else (None, None)
    res = compress(model, method, args.layers, params, train=train, test=test, epochs=args.epochs,
                   batch_size=args.batch_size, seed=args.seed, prune_quantize=prune_quantize_arg(args, method),
                   names={key: value for key in ("include", "exclude") if (value := getattr(args, key))} or None)
    sizes = save(res, args.output, params=params,
                 info={"model_file": args.model, "data": args.data, "epochs": args.epochs, "seed": args.seed,
                       "prune_quantize": args.prune_quantize})
    print(f"{method} on {args.layers} layers: psi {sizes['psi']:.4f}")
    print(coverage_text(res.coverage))
    if (res.coverage["kernel_fraction"] or 0) < 0.5:
        print(f"warning: the compressed layers hold under half of the kernel parameters: psi covers them only; "
              f"the file's psi over the whole network is {sizes['file_psi']:.4f}", file=sys.stderr)
    print(f"{args.output}: {sizes['file']:,} bytes = {sizes['compressed']:,} compressed + {sizes['uncompressed']:,} "
          f"uncompressed + {sizes['architecture']:,} architecture + {sizes['manifest']:,} manifest + "
          f"{sizes['framing']:,} framing ({sizes['file_psi']:.4f} of the float32 network)")
    if res.metric:
        retrained = f", {res.after_retrain:.4f} after retraining" if res.history.get("train") else ""
        print(f"{res.metric}: {res.before:.4f} before, {res.after_compress:.4f} after compression{retrained}")


def prune_quantize_arg(args, method):
    """--prune-quantize as compress() takes it: with --layers both, for the pr_X side(s) only."""
    if args.layers != "both" or args.prune_quantize == "survivors":
        return args.prune_quantize
    sides = {side: args.prune_quantize for side, name in method.items()
             if METHODS[name].prune and METHODS[name].quantize}
    return sides or args.prune_quantize


def request(parser, args):
    """(method, params) for compress(): plain for one layer kind, keyed by "conv" and "dense" for both."""
    given = {flag for flag in _param_flags() if getattr(args, flag) is not None}
    sides = SIDES if args.layers == "both" else (None,)
    methods = {side: (side and getattr(args, f"{side}_method")) or args.method for side in sides}
    if None in methods.values():
        parser.error("--layers both needs --conv-method and --dense-method (or --method for both)"
                     if args.layers == "both" else "--method is required")
    params, used = {}, set()
    for side, method in methods.items():
        params[side] = {}
        for key in METHODS[method].params + METHODS[method].optional:
            flag = next((f for f in (f"{side}_{key}", key) if f in given), None)
            if flag:
                params[side][key] = getattr(args, flag)
                used.add(flag)
    if given - used:
        parser.error(f"{', '.join('--' + f.replace('_', '-') for f in sorted(given - used))}: not a parameter "
                     f"of {' or '.join(sorted(set(methods.values())))} on {args.layers} layers")
    if args.layers != "both":
        return methods[None], params[None]
    return methods, params


def _param_flags():
    """The argparse names of every parameter flag, plain and per side."""
    keys = [*PARAMS, "lambdas"]
    return keys + [f"{side}_{key}" for side in SIDES for key in keys]


def run_predict(parser, args):
    """Load the model file, predict on the inputs, and save or print the predictions."""
    from .artifact import load
    from .common.loading import import_modules
    import_modules(args.imports)
    inputs = checked_inputs(read_inputs(args.inputs), args.inputs, args.allow_nan)
    predictions = load(args.model).predict(inputs, batch_size=args.batch_size)
    if args.output:
        np.save(args.output, predictions)
        print(f"predictions of shape {predictions.shape} written to {args.output}")
    else:
        np.savetxt(sys.stdout, predictions.reshape(len(predictions), -1), fmt="%.7g")


def read_inputs(path):
    """One array from a .npy, or the list x_0, x_1, ... (or the only array) from an .npz."""
    try:
        data = np.load(path)
    except (ValueError, EOFError, OSError, zipfile.BadZipFile):
        raise ValueError(f"{path} is not a numpy .npy or .npz file of numbers; write the inputs with numpy.save "
                         "(one array, .npy) or numpy.savez (x_0, x_1, ..., .npz)") from None
    if isinstance(data, np.ndarray):
        return data
    with data:
        if len(data.files) == 1:
            return data[data.files[0]]
        inputs = []
        while f"x_{len(inputs)}" in data.files:
            inputs.append(data[f"x_{len(inputs)}"])
        if not inputs:
            raise ValueError(f"{path} holds {', '.join(data.files)}; expected one array or x_0, x_1, ...")
        return inputs


def checked_inputs(inputs, path, allow_nan):
    """``inputs`` if each array has a row and only finite numbers (or a warning with allow_nan); else ValueError.

    Before predicting, because Keras' own messages for these name neither the file nor the fix.
    """
    several = isinstance(inputs, list)
    for i, array in enumerate(inputs if several else [inputs]):
        where = f" in x_{i}" if several else ""
        if array.ndim == 0 or len(array) == 0:
            raise ValueError(f"{path} holds no inputs (shape {array.shape}{where}); give at least one row")
        if not np.issubdtype(array.dtype, np.inexact):
            continue
        bad = array.size - np.count_nonzero(np.isfinite(array))
        if bad:
            label = f"x_{i}" if several else "the inputs"
            found = f"{path}: {bad} NaN or infinite value{'s' if bad > 1 else ''} in {label}"
            if not allow_nan:
                raise ValueError(f"{found}; clean them, or pass --allow-nan to predict anyway")
            print(f"warning: {found}; predicting anyway (--allow-nan): their rows may come out NaN", file=sys.stderr)
    return inputs


if __name__ == "__main__":
    main()
