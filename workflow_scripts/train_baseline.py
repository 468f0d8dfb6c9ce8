"""Train (or load) one experiment's baseline model and record its metrics."""
from sham_core.common.jobenv import gpu_memory_growth, job_slot
from sham_core.common.jobserver import run_in_server

run_in_server()  # a local run forks the job from its job server; else it runs here, below

with job_slot(snakemake.log[0]) as slot:  # the imports too: they take CPU
    from sham_core.common.joblog import logging_to
    from sham_core.training.job import train_job

    with logging_to(snakemake.log[0]):
        gpu_memory_growth()
        train_job(snakemake.params.experiment, snakemake.input.data, snakemake.input.meta,
                  snakemake.params.seed, snakemake.output.model, snakemake.output.metrics, slot)
