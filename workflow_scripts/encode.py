"""Encode one run's compressed layers in every format, time them, evaluate from the encoding."""
from sham_core.jobs import encode_job
from sham_core.joblog import logging_to

with logging_to(snakemake.log[0]):
    encode_job(dict(snakemake.input.items()), snakemake.params.timing, snakemake.threads, snakemake.output[0],
               snakemake.params.experiment["imports"] or ())
