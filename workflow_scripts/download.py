"""Fetch and verify one source's raw files (from the public address or the configured mirror)."""
import os

from sham_core.common.jobenv import job_slot

with job_slot(snakemake.log[0]):  # the imports too: they take CPU
    from sham_core.common.joblog import logging_to
    from sham_core.data.job import download_job

    with logging_to(snakemake.log[0]):
        download_job(snakemake.wildcards.source, os.path.dirname(snakemake.output[0]), snakemake.params.mirror,
                     snakemake.output[0])
