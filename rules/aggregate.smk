# The aggregation stage: sham_core/aggregate/ (its jobs in sham_core/aggregate/job.py).


rule aggregate:
    input:
        metrics=expand("{run}/metrics.json", run=RUN_DIRS),
        encodings=expand("{run}/encoding.json", run=RUN_DIRS),
        provenances=expand("{run}/provenance.json", run=RUN_DIRS),
        compress_benchmarks=expand("results/benchmarks/compress/{path}.tsv", path=RUNS),
        encode_benchmarks=expand("results/benchmarks/encode/{path}.tsv", path=RUNS),
        baselines=expand("results/models/{experiment}/metrics.json", experiment=EXPERIMENTS),
        baseline_encodings=expand("results/models/{experiment}/encoding.json", experiment=EXPERIMENTS),
        baseline_seeds=[
            f"results/models/{name}/seed~{seed}/metrics.json"
            for name, seeds in BASELINE_SEEDS.items()
            for seed in seeds
        ],
        reference=os.path.join(workflow.basedir, "config", "reference", "paper_results.csv"),
    output:
        summary=report("results/tables/summary.csv", caption="../report/summary.rst", category="Tables"),
        points=report("results/tables/points.csv", caption="../report/points.rst", category="Tables"),
        matmul=report("results/tables/matmul.csv", caption="../report/matmul.rst", category="Tables"),
        history=report("results/tables/history.csv", caption="../report/history.rst", category="Tables"),
        best_csv=report("results/tables/best.csv", caption="../report/best.rst", category="Tables"),
        best_md=report("results/tables/best.md", caption="../report/best.rst", category="Tables"),
        best_tex=report("results/tables/best.tex", caption="../report/best.rst", category="Tables"),
        recommendation=report(
            "results/tables/recommendation.md", caption="../report/recommendation.rst", category="Tables"
        ),
        comparison_csv=report(
            "results/tables/paper_comparison.csv", caption="../report/paper_comparison.rst", category="Tables"
        ),
        comparison_md=report(
            "results/tables/paper_comparison.md", caption="../report/paper_comparison.rst", category="Tables"
        ),
    log:
        "results/logs/aggregate.log",
    resources:
        mem_mb=other_mem_mb("aggregate"),
        runtime=other_runtime("aggregate"),
    params:
        experiments={
            name: {
                "model": e["model"],
                "dataset": e["dataset"],
                "seed": config["seed"],
                "baseline_seeds": BASELINE_SEEDS[name],
            }
            for name, e in EXPERIMENTS.items()
        },
        note=config.get("note"),
    script:
        "../workflow_scripts/aggregate.py"
