"""Benchmarks, ``python -m sham_core.bench BENCHMARK --help``: formats (cli, formats), methods, study,
memory; measure holds what they and the encode stage share (matrices, the timer, the machine)."""
