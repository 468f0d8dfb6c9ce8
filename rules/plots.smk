# The plots of the aggregation stage: sham_core/aggregate/ (plots_job in sham_core/aggregate/job.py).


rule plots:
    input:
        points="results/tables/points.csv",
        best="results/tables/best.csv",
        matmul="results/tables/matmul.csv",
        history="results/tables/history.csv",
    output:
        psi_vs_performance=plot("psi_vs_performance", "psi_vs_performance"),
        best_perf=plot("best_perf", "paired_bars"),
        best_space=plot("best_space", "paired_bars"),
        matmul_ratios=plot("matmul_ratios", "matmul_ratios"),
        retraining_curves=plot("retraining_curves", "retraining_curves"),
        latency_vs_psi=plot("latency_vs_psi", "latency_vs_psi"),
    log:
        "results/logs/plots.log",
    resources:
        mem_mb=other_mem_mb("plots"),
        runtime=other_runtime("plots"),
    script:
        "../workflow_scripts/plots.py"
