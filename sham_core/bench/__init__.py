"""Benchmarks, ``python -m sham_core.bench BENCHMARK --help``: formats (cli, formats), methods, study,
memory. What they share with the encode stage (matrices, the timer, the machine) is sham_core.common.measure,
below both, so that no stage imports the benchmarks."""
