"""Train (or load) one experiment's baseline model and record its metrics."""
from sham_core.jobs import train_job
from sham_core.joblog import logging_to

with logging_to(snakemake.log[0]):
    train_job(snakemake.params.experiment, snakemake.input.data, snakemake.input.meta,
              snakemake.params.seed, snakemake.output.model, snakemake.output.metrics)
