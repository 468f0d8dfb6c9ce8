"""Compress and retrain one run of the grid."""
from sham_core.jobs import compress_job
from sham_core.joblog import logging_to

with logging_to(snakemake.log[0]):
    compress_job(snakemake.params.run, snakemake.params.experiment, snakemake.input.model,
                 snakemake.input.data, snakemake.input.meta,
                 dict(snakemake.output.items()))
