RUN = "results/runs/{experiment}/{layers}/{method}/{params}"


rule compress:
    input:
        unpack(dataset_files),
        model="results/models/{experiment}/baseline.keras",
    output:
        model=f"{RUN}/compressed.keras",
        npz=f"{RUN}/compressed.npz",
        metrics=f"{RUN}/metrics.json",
        artifact=f"{RUN}/model.sham",
        provenance=f"{RUN}/provenance.json",
    params:
        run=run_of,
        experiment=experiment_of("model", "model_file", "imports", "dataset", "retrain", "higher_is_better"),
    resources:
        gpu=gpus,
    log:
        "results/logs/compress/{experiment}/{layers}/{method}/{params}.log",
    benchmark:
        "results/benchmarks/compress/{experiment}/{layers}/{method}/{params}.tsv"
    script:
        "../workflow_scripts/compress.py"
