"""Draw the plots from the tables."""
from sham_core.common.jobenv import job_slot

with job_slot(snakemake.log[0]):  # the imports too: they take CPU
    from sham_core.common.joblog import logging_to
    from sham_core.aggregate.job import plots_job

    with logging_to(snakemake.log[0]):
        plots_job(dict(snakemake.input.items()), dict(snakemake.output.items()))
