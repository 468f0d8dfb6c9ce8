"""Benchmarks; run ``python -m sham_core.bench formats --help`` (or ``methods``, ``study``, ``memory``, ``targets``)."""
import argparse
import math
import os

from ..formats import FORMATS
from ..common.measure import ZEROS
from . import formats as bench_formats
from . import memory, methods, study
from .formats import QUICK_GRID


def comma_list(parse):
    """An argparse type: a comma-separated, non-empty list of items parsed by parse."""
    def parse_list(text):
        """Split text at commas and parse each item."""
        items = [item.strip() for item in text.split(",")]
        if not all(items):
            raise argparse.ArgumentTypeError(f"empty item in list {text!r}")
        return tuple(parse(item) for item in items)
    return parse_list


def parse_shape(text):
    """'NxM' as (N, M), both positive."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(part.isdecimal() and int(part) > 0 for part in parts):
        raise argparse.ArgumentTypeError(
            f"malformed shape {text!r}: expected NxM with positive integers, e.g. 512x4096")
    return int(parts[0]), int(parts[1])


def parse_p(text):
    """A sparsity percentage in [0, 100)."""
    try:
        p = float(text)
    except ValueError:
        p = math.nan
    if not 0 <= p < 100:
        raise argparse.ArgumentTypeError(f"p must be a percentage in [0, 100), got {text!r}")
    return p


def int_at_least(low, what):
    """An argparse type: an integer >= low, described as what in the error."""
    def parse_int(text):
        """text as an integer, if it is one and at least low."""
        if not text.strip().isdecimal() or int(text) < low:
            raise argparse.ArgumentTypeError(f"{what} must be an integer >= {low}, got {text!r}")
        return int(text)
    return parse_int


def parse_zeros(text):
    """A zero layout in ZEROS."""
    if text not in ZEROS:
        raise argparse.ArgumentTypeError(f"unknown zeros {text!r}; known: {', '.join(ZEROS)}")
    return text


def parse_format(text):
    """The name of a format in FORMATS."""
    if text not in FORMATS:
        raise argparse.ArgumentTypeError(
            f"unknown format {text!r}; known: {', '.join(FORMATS)}")
    return text


def build_parser():
    """The argument parser, one subcommand per benchmark."""
    parser = argparse.ArgumentParser(prog="python -m sham_core.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="BENCHMARK")
    formats = commands.add_parser("formats", help="sizes and speeds of the storage formats",
                                  description=bench_formats.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    formats.add_argument("--out", default=os.path.join("results", "bench", "formats.csv"),
                         help="CSV file to write (default: %(default)s)")
    formats.add_argument("--shapes", type=comma_list(parse_shape), metavar="NxM,...",
                         help="matrix shapes (default: 512x512,4096x4096,512x4096,1024x1)")
    formats.add_argument("--p", type=comma_list(parse_p), metavar="P,...",
                         help="percentages of zero entries (default: 0,50,90,99)")
    formats.add_argument("--k", type=comma_list(int_at_least(1, "k")), metavar="K,...",
                         help="numbers of distinct nonzero values (default: 2,32,256)")
    formats.add_argument("--zeros", type=comma_list(parse_zeros), metavar="LAYOUT,...",
                         help="where the zeros lie: uniform (anywhere), rows (p %% of the rows "
                              "entirely zero: dead inputs) or cols (dead neurons) (default: uniform)")
    formats.add_argument("--formats", type=comma_list(parse_format), metavar="NAME,...",
                         help=f"formats to measure (default: all: {','.join(FORMATS)}; "
                              f"--quick: {','.join(QUICK_GRID['formats'])})")
    formats.add_argument("--repeats", type=int_at_least(3, "repeats"), default=20,
                         help="maximum timed repeats per measurement (default: %(default)s)")
    formats.add_argument("--seed", type=int_at_least(0, "seed"), default=0,
                         help="random seed (default: 0)")
    formats.add_argument("--quick", action="store_true",
                         help="smoke test: 512x512, p 90, k 32, the fast baselines, "
                              "unless given otherwise")
    formats.set_defaults(run=bench_formats.run_formats)
    targets = commands.add_parser("targets", help="the target summary of a formats CSV")
    targets.add_argument("csv", help="a CSV written by the formats benchmark")
    targets.set_defaults(run=bench_formats.run_targets)
    methods.add_parser(commands, comma_list, int_at_least)
    study.add_parser(commands, comma_list, int_at_least)
    memory.add_parser(commands, comma_list, int_at_least)
    return parser


def main(argv=None):
    """Parse the command line and run the chosen benchmark."""
    args = build_parser().parse_args(argv)
    args.run(args)
