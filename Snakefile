# The compression benchmark: data -> baseline -> compression grid -> encoding -> tables,
# plots and report. `snakemake --cores all` runs config/config.yaml. A config that lists
# experiments (a --configfile) replaces it instead of being merged into it; settings
# without experiments (--config seed=2) change it. Threads and resources: rules/*.smk;
# rerun-incomplete: profiles/default (the workflow profile, applied without a flag).
import os

import yaml
from snakemake.utils import min_version, update_config

from sham_core.common import jobserver
from sham_core.common.joblog import where_to_look
from sham_core.workflow.config import validate_config

min_version("9.0")

if "experiments" not in config:
    overrides = dict(config)
    config.clear()
    with open(os.path.join(workflow.basedir, "config", "config.yaml")) as default:
        config.update(yaml.safe_load(default))
    update_config(config, overrides)
try:  # the first lines name the bad key and what is allowed there
    validate_config(config, os.path.join(workflow.basedir, "config", "schema.yaml"))
except ValueError as error:
    raise WorkflowError(str(error))


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/compress.smk"
include: "rules/encode.smk"
include: "rules/aggregate.smk"
include: "rules/plots.smk"


rule all:
    input:
        TABLES,
        PLOTS,


# A local CPU run forks its Keras jobs from one process that imported Keras once
# (sham_core/common/jobserver.py). On a cluster, and where an experiment trains on a GPU (CUDA
# does not survive a fork once initialised), every job starts a process of its own.
JOB_SERVER = []


onstart:
    on_gpu = any(experiment["gpu"] for experiment in EXPERIMENTS.values())
    if workflow.local_exec and not workflow.remote_exec and not on_gpu:
        JOB_SERVER.append(jobserver.start("results/logs/jobserver.log"))


onsuccess:
    for server in JOB_SERVER:
        jobserver.stop(server)
    if results := where_to_look():  # the main tables and plots this run left, and the report command
        print(results)


onerror:
    for server in JOB_SERVER:
        jobserver.stop(server)
