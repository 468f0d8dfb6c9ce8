rule data:
    output:
        data="results/data/{dataset}/data.npz",
        meta="results/data/{dataset}/meta.json",
    params:
        config=lambda wildcards: canonical(config["datasets"][wildcards.dataset]),
        seed=config["seed"],
    log:
        "results/logs/data/{dataset}.log",
    benchmark:
        "results/benchmarks/data/{dataset}.tsv"
    script:
        "../workflow_scripts/data.py"
