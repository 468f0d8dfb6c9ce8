# The data stage: sham_core/data/ (its jobs in sham_core/data/job.py).
# Downloads run on the machine that starts the workflow: on a cluster, the login node
# is the one that reaches the internet (or the mirror).
localrules:
    download,


rule download:
    output:
        "results/downloads/{source}/manifest.json",
    log:
        "results/logs/download/{source}.log",
    params:
        mirror=config["data"].get("mirror"),
    script:
        "../workflow_scripts/download.py"


rule data:
    input:
        unpack(dataset_inputs),
    output:
        data="results/data/{dataset}/data.npz",
        meta="results/data/{dataset}/meta.json",
    log:
        "results/logs/data/{dataset}.log",
    benchmark:
        "results/benchmarks/data/{dataset}.tsv"
    resources:
        mem_mb=other_mem_mb("data"),
        runtime=other_runtime("data"),
    params:
        config=lambda wildcards: canonical(config["datasets"][wildcards.dataset]),
        seed=config["seed"],
    script:
        "../workflow_scripts/data.py"
