"""Join every run's files into the tables: summary, best selections, recommendation, comparison."""
from sham_core.common.jobenv import job_slot

with job_slot(snakemake.log[0]):  # the imports too: they take CPU
    from sham_core.common.joblog import logging_to
    from sham_core.aggregate.job import aggregate_job

    with logging_to(snakemake.log[0]):
        aggregate_job(dict(snakemake.input.items()), dict(snakemake.output.items()), snakemake.params.experiments,
                      snakemake.params.note)
