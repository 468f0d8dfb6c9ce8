# The encoding stage: sham_core/encoding/ (its jobs in sham_core/encoding/job.py).
# Encoding times matmul kernels, on the CPU (no gpu resource: the scripts hide the accelerators).
# Locally a job encodes beside other jobs, then times on every core (timing_cores) holding the
# machine's job lock alone (sham_core/common/jobenv.py), so no other job runs beside a timing; on a
# cluster it has 8 CPUs of its own.


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
    log:
        "results/logs/encode/{experiment}/{layers}/{method}/{params}.log",
    benchmark:
        "results/benchmarks/encode/{experiment}/{layers}/{method}/{params}.tsv"
    threads: timing_threads
    resources:
        timing_cores=timing_cores,
        mem_mb=mem_mb("encode"),
        runtime=runtime("encode"),
    params:
        timing=canonical(config["encode"]),
        experiment=experiment_of("imports"),
    script:
        "../workflow_scripts/encode.py"


rule encode_baseline:
    input:
        unpack(dataset_files),
        model="results/models/{experiment}/baseline.keras",
    output:
        "results/models/{experiment}/encoding.json",
    log:
        "results/logs/encode/{experiment}/baseline.log",
    benchmark:
        "results/benchmarks/encode/{experiment}/baseline.tsv"
    threads: timing_threads
    resources:
        timing_cores=timing_cores,
        mem_mb=mem_mb("encode"),
        runtime=runtime("encode"),
    params:
        timing=canonical(config["encode"]),
        experiment=experiment_of("imports"),
    script:
        "../workflow_scripts/encode_baseline.py"
