# The compression benchmark: data -> baseline -> compression grid -> encoding -> tables,
# plots and report. `snakemake --cores all` runs config/config.yaml; a --configfile
# replaces it instead of being merged into it.
import os

from snakemake.utils import min_version

from sham_core.workflow import validate_config

min_version("9.0")

if not workflow.overwrite_configfiles:
    workflow.configfile(os.path.join(workflow.basedir, "config", "config.yaml"))
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
