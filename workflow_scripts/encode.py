"""Encode one run's compressed layers in every format, time them, evaluate from the encoding."""
from sham_core.jobenv import cpu_only, job_slot

cpu_only()  # before any backend loads: latency and memory are measured on the CPU
with job_slot(snakemake.log[0], timing=True):  # alone on the machine, imports included
    from sham_core.joblog import logging_to
    from sham_core.jobs import encode_job

    with logging_to(snakemake.log[0]):
        encode_job(dict(snakemake.input.items()), snakemake.params.timing, snakemake.threads, snakemake.output[0],
                   snakemake.params.experiment["imports"] or ())
