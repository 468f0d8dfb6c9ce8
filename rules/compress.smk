# The compression stage: sham_core/compression/ (its job in sham_core/compression/job.py).


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
    log:
        "results/logs/compress/{experiment}/{layers}/{method}/{params}.log",
    benchmark:
        "results/benchmarks/compress/{experiment}/{layers}/{method}/{params}.tsv"
    resources:
        gpu=gpus,
        cpus_per_task=cpus_per_task,
        cpus_per_gpu=cpus_per_gpu,
        mem_mb=mem_mb("compress"),
        runtime=runtime("compress"),
    params:
        run=run_of,
        experiment=experiment_of("model", "model_file", "imports", "layers", "dataset", "retrain", "higher_is_better"),
    script:
        "../workflow_scripts/compress.py"
