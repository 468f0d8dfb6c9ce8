rule train_baseline:
    input:
        unpack(dataset_files),
    output:
        model="results/models/{experiment}/baseline.keras",
        metrics="results/models/{experiment}/metrics.json",
    params:
        experiment=experiment_of("model", "model_file", "train"),
        seed=config["seed"],
    resources:
        gpu=gpus,
    log:
        "results/logs/train/{experiment}.log",
    benchmark:
        "results/benchmarks/train/{experiment}.tsv"
    script:
        "../workflow_scripts/train_baseline.py"
