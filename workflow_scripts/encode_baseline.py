"""Encode every kernel of the uncompressed baseline once, as the reference for psi."""
from sham_core.jobs import encode_baseline_job
from sham_core.joblog import logging_to

with logging_to(snakemake.log[0]):
    encode_baseline_job(snakemake.input.model, snakemake.input.data, snakemake.input.meta,
                        snakemake.params.timing, snakemake.threads, snakemake.output[0],
                        snakemake.params.experiment["imports"] or ())
