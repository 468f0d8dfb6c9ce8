"""``python -m sham_core.bench``: the benchmarks' command line."""
from .cli import main

main()
