# Encoding times matmul kernels, so each job takes every core: timings never share them.


rule encode:
    input:
        unpack(dataset_files),
        model=f"{RUN}/compressed.keras",
        npz=f"{RUN}/compressed.npz",
        metrics=f"{RUN}/metrics.json",
        artifact=f"{RUN}/model.sham",
        baseline="results/models/{experiment}/baseline.keras",
    output:
        f"{RUN}/encoding.json",
    params:
        timing=canonical(config["encode"]),
        experiment=experiment_of("imports"),
    threads: lambda wildcards: workflow.cores
    resources:
        gpu=gpus,
    log:
        "results/logs/encode/{experiment}/{layers}/{method}/{params}.log",
    benchmark:
        "results/benchmarks/encode/{experiment}/{layers}/{method}/{params}.tsv"
    script:
        "../workflow_scripts/encode.py"


rule encode_baseline:
    input:
        unpack(dataset_files),
        model="results/models/{experiment}/baseline.keras",
    output:
        "results/models/{experiment}/encoding.json",
    params:
        timing=canonical(config["encode"]),
        experiment=experiment_of("imports"),
    threads: lambda wildcards: workflow.cores
    resources:
        gpu=gpus,
    log:
        "results/logs/encode/{experiment}/baseline.log",
    benchmark:
        "results/benchmarks/encode/{experiment}/baseline.tsv"
    script:
        "../workflow_scripts/encode_baseline.py"
