"""Prepare one dataset: results/data/{dataset}/data.npz and meta.json."""
import os

from sham_core.common.jobenv import job_slot

with job_slot(snakemake.log[0]):  # the imports too: they take CPU
    from sham_core.common.joblog import logging_to
    from sham_core.data.job import data_job

    with logging_to(snakemake.log[0]):
        raw = snakemake.input.get("manifest")
        data_job(snakemake.wildcards.dataset, snakemake.params.config, snakemake.params.seed,
                 os.path.dirname(snakemake.output.data), os.path.dirname(raw) if raw else None)
