# The training stage: sham_core/training/ (its job in sham_core/training/job.py).


rule train_baseline:
    input:
        unpack(dataset_files),
        unpack(model_file),
    output:
        model="results/models/{experiment}/baseline.keras",
        metrics="results/models/{experiment}/metrics.json",
    log:
        "results/logs/train/{experiment}.log",
    benchmark:
        "results/benchmarks/train/{experiment}.tsv"
    resources:
        gpu=gpus,
        cpus_per_task=cpus_per_task,
        cpus_per_gpu=cpus_per_gpu,
        mem_mb=mem_mb("train"),
        runtime=runtime("train"),
    params:
        experiment=experiment_of("model", "model_file", "imports", "train", "higher_is_better"),
        seed=config["seed"],
    script:
        "../workflow_scripts/train_baseline.py"


# The same training with another seed (baseline_seeds), for the baseline's seed-to-seed
# spread only: every compression run starts from the main baseline above.
rule train_baseline_seed:
    input:
        unpack(dataset_files),
    output:
        model="results/models/{experiment}/seed~{seed}/baseline.keras",
        metrics="results/models/{experiment}/seed~{seed}/metrics.json",
    log:
        "results/logs/train/{experiment}/seed~{seed}.log",
    benchmark:
        "results/benchmarks/train/{experiment}/seed~{seed}.tsv"
    resources:
        gpu=gpus,
        cpus_per_task=cpus_per_task,
        cpus_per_gpu=cpus_per_gpu,
        mem_mb=mem_mb("train"),
        runtime=runtime("train"),
    params:
        experiment=experiment_of("model", "model_file", "train", "higher_is_better"),
        seed=lambda wildcards: int(wildcards.seed),
    script:
        "../workflow_scripts/train_baseline.py"
