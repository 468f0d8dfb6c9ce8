"""Encode every kernel of the uncompressed baseline once, as the reference for psi."""
from sham_core.common.jobenv import cpu_only, job_slot
from sham_core.common.jobserver import run_in_server

run_in_server()  # a local run forks the job from its job server; else it runs here, below

cpu_only()  # before any backend loads: latency and memory are measured on the CPU
with job_slot(snakemake.log[0]) as slot:  # shared; alone on the machine while it times
    from sham_core.common.joblog import logging_to
    from sham_core.encoding.job import encode_baseline_job

    with logging_to(snakemake.log[0]):
        encode_baseline_job(snakemake.input.model, snakemake.input.data, snakemake.input.meta,
                            snakemake.params.timing, snakemake.resources.timing_cores, snakemake.output[0],
                            snakemake.params.experiment["imports"] or (), slot)
