"""The workflow's config: schema validation, grid expansion, and dry runs listing the jobs."""
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from sham_core.workflow.config import Run, expand_grid, experiment_config, extra_baseline_seeds

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = str(ROOT / "config" / "schema.yaml")


def load(name):
    config = yaml.safe_load((ROOT / "config" / name).read_text())
    validate(config, SCHEMA)
    return config


def test_default_grid_has_every_method_on_dense_and_conv_and_some_pairs():
    runs = expand_grid(load("config.yaml"))
    points = Counter(run.layers for run in runs if run.seed == 1)
    assert points["dense"] == 10 and points["conv"] == 9 and points["both"] >= 2
    assert any(run.seed == 2 for run in runs), "a few methods run with two seeds"
    baseline_seeds = len(extra_baseline_seeds(load("config.yaml")["experiments"][0], 1))
    assert baseline_seeds == 2 and len(runs) * 2 + 6 + baseline_seeds <= 60


def test_paths_are_readable_and_unique():
    run = Run("vgg_mini-digits", "dense", "pr_uq", {"p": 90, "k": 32})
    assert run.path == "vgg_mini-digits/dense/pr_uq/p~90/k~32/seed~1" and run.config_label == "90-32"
    both = Run("e", "both", "cws+slr", {"conv": {"k": 64}, "dense": {"q": 16, "sr": 0.5, "rr": 0.25}})
    assert both.point_path == "conv.k~64/dense.q~16/dense.sr~0.5/dense.rr~0.25"
    assert both.config_label == "64/16"
    assert both.compress_args() == ({"conv": "cws", "dense": "slr"}, both.params,
                                    {"conv": "survivors", "dense": "survivors"})


def test_study_mode_gains_its_own_path_beside_survivors_mode():
    config = load("config.yaml")
    config["grid"] = {"dense": {"pr_cws": {"p": 90, "k": 8}, "cws": {"k": 8}},
                      "both": [{"conv": {"cws": {"k": 16}},
                                "dense": {"pr_uq": {"p": 90, "k": 8, "prune_quantize": "study"}}}]}
    config["experiments"].append(dict(config["experiments"][0], name="study",
                                      grid={"dense": {"pr_cws": {"p": 90, "k": 8, "prune_quantize": "study"}}}))
    validate(config, SCHEMA)
    runs = {run.path: run for run in expand_grid(config)}
    survivors = runs["vgg_mini-digits/dense/pr_cws/p~90/k~8/seed~1"]
    study = runs["study/dense/pr_cws/p~90/k~8/pq~study/seed~1"]
    assert (survivors.prune_quantize, study.prune_quantize) == ("survivors", "study")
    assert study.config_label == survivors.config_label == "90-8"
    assert study.compress_args() == ("pr_cws", {"k": 8, "p": 90}, "study")
    assert runs["vgg_mini-digits/dense/cws/k~8/seed~1"].prune_quantize == ""
    both = runs["vgg_mini-digits/both/cws+pr_uq/conv.k~16/dense.p~90/dense.k~8/dense.pq~study/seed~1"]
    assert both.prune_quantize == "study"
    assert both.compress_args()[2] == {"conv": "survivors", "dense": "study"}


@pytest.mark.parametrize("entry,message", [
    ({"cws": {"k": 8, "prune_quantize": "study"}}, r"grid\.dense\.cws: prune_quantize applies to pr_cws"),
    ({"pr": {"p": 90, "prune_quantize": "survivors"}}, r"grid\.dense\.pr: prune_quantize applies to pr_cws"),
    ({"pr_uq": {"p": 90, "k": 8, "prune_quantize": "zeros"}}, r"grid\.dense\.pr_uq: prune_quantize must be one"),
])
def test_prune_quantize_only_on_pr_x_entries_and_only_known_modes(entry, message):
    config = load("config.yaml")
    config["grid"] = {"dense": entry}
    with pytest.raises(ValueError, match=message):
        expand_grid(config)


def test_a_list_of_modes_runs_each_point_in_both_on_one_baseline():
    runs = expand_grid(load("prune_quantize.yaml"))
    paths = {run.path for run in runs}
    assert {"vgg_mini-digits/dense/pr_uq/p~90/k~8/seed~1",
            "vgg_mini-digits/dense/pr_uq/p~90/k~8/pq~study/seed~1"} <= paths
    assert len(runs) == 8 * 2 * 3 and {run.experiment for run in runs} == {"vgg_mini-digits"}


def test_an_unknown_prune_quantize_mode_fails_the_dry_run_naming_the_entry(tmp_path):
    config = load("config.yaml")
    config["grid"]["dense"]["pr_uq"]["prune_quantize"] = ["study", "zeros"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    out = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "grid.dense.pr_uq: prune_quantize must be one of survivors, study, got 'zeros'" in out.stdout + out.stderr


def test_paper_config_runs_every_pr_x_in_study_mode():
    runs = expand_grid(load("paper.yaml"))
    pr_x = [run for run in runs if "pr_" in run.method]
    assert pr_x and all(run.prune_quantize == "study" and "pq~study" in run.path for run in pr_x)


def test_lists_expand_to_their_product():
    config = load("config.yaml")
    config["grid"] = {"dense": {"pr_cws": {"p": [50, 90.0], "k": [2, 32]}}}
    paths = [run.path for run in expand_grid(config)]
    assert paths == [f"vgg_mini-digits/dense/pr_cws/p~{p}/k~{k}/seed~1" for p in (50, 90) for k in (2, 32)]



def test_zip_takes_the_named_lists_pairwise_and_the_rest_as_a_product():
    config = load("config.yaml")
    config["grid"] = {"dense": {"pr_cws": {"p": [60, 95], "k": [16, 64], "zip": ["p", "k"], "seeds": [1, 2]}},
                      "both": [{"conv": {"uq": {"k": [16, 32]}},
                                "dense": {"pr_uq": {"p": [50, 90], "k": [16, 32], "zip": ["k", "p"]}}, "tie": ["k"]}]}
    validate(config, SCHEMA)
    runs = expand_grid(config)
    assert [run.param_path for run in runs if run.layers == "dense"] == [
        "p~60/k~16/seed~1", "p~60/k~16/seed~2", "p~95/k~64/seed~1", "p~95/k~64/seed~2"]
    assert [run.config_label for run in runs if run.layers == "both"] == ["16/50", "32/90"]


@pytest.mark.parametrize("entry,message", [
    ({"p": [60, 95], "k": [16], "zip": ["p", "k"]}, r"grid\.dense\.pr_cws: zip takes p, k pairwise, so their lists "
                                                    r"need the same length; got p: 2, k: 1"),
    ({"p": [60], "k": [16], "zip": ["p", "q"]}, r"grid\.dense\.pr_cws: zip names q, which the entry does not list"),
])
def test_zip_errors_name_the_entry(entry, message):
    config = load("config.yaml")
    config["grid"] = {"dense": {"pr_cws": entry}}
    with pytest.raises(ValueError, match=message):
        expand_grid(config)

@pytest.mark.parametrize("edit,message", [
    (lambda c: c["experiments"][0]["train"].update(epochss=3), "'epochss' was unexpected"),
    (lambda c: c["grid"]["dense"].update(prune={"p": [3]}), "'prune' was unexpected"),
    (lambda c: c["grid"]["dense"].update(cws={"k": "many"}), "'many'"),
    (lambda c: c.update(seedz=3), "'seedz' does not match"),
])
def test_schema_names_the_bad_key(edit, message):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    edit(config)
    with pytest.raises(Exception, match=message):
        validate(config, SCHEMA)


@pytest.mark.parametrize("grid,message", [
    ({"conv": {"slr": {"q": [4], "sr": [0.5], "rr": [0.5]}}},
     "grid.conv.slr: slr applies to dense, embedding, recurrent kernels only"),
    ({"dense": {"pr": {"p": [100]}}}, r"grid.dense.pr: p is a pruning percentile"),
    ({"dense": {"cws": {"k": [0]}}}, "grid.dense.cws: k must be an integer >= 1"),
    ({"dense": {"pr_cws": {"p": [90]}}}, "grid.dense.pr_cws: .*missing: k"),
])
def test_grid_values_are_checked_with_the_entry_named(grid, message):
    config = load("config.yaml")
    config["grid"] = grid
    with pytest.raises(ValueError, match=message):
        expand_grid(config)


def dry_run(*args, cwd=ROOT):
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--quiet", "rules",
                          "-s", str(ROOT / "Snakefile"), *args], cwd=cwd, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout + run.stderr


def job_counts(output):
    counts = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            counts[parts[0]] = int(parts[1])
    return counts


def test_dry_run_of_the_default_config_lists_every_job(tmp_path):
    runs = len(expand_grid(load("config.yaml")))
    counts = job_counts(dry_run("-d", str(tmp_path)))
    assert counts == {"all": 1, "data": 1, "train_baseline": 1, "train_baseline_seed": 2, "compress": runs,
                      "encode": runs, "encode_baseline": 1, "aggregate": 1, "plots": 1}


def test_a_configfile_replaces_the_default_grid(tmp_path):
    runs = len(expand_grid(load("test.yaml")))
    counts = job_counts(dry_run("-d", str(tmp_path), "--configfile", str(ROOT / "config" / "test.yaml")))
    assert counts["compress"] == runs < len(expand_grid(load("config.yaml")))


def test_a_bad_config_fails_the_dry_run_naming_the_key(tmp_path):
    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    config["experiments"][0]["retrain"] = {"epoch": 1}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "-s", str(ROOT / "Snakefile"),
                          "-d", str(tmp_path), "--configfile", str(path)], capture_output=True, text=True, timeout=300)
    assert run.returncode != 0
    assert "'epoch' was unexpected" in run.stdout + run.stderr


def test_defaults_are_filled_inside_each_experiment():
    config = {"datasets": {"d": {"source": "sklearn_digits"}}, "grid": {},
              "experiments": [{"model": "vgg_mini", "dataset": "d"},
                              {"model": "vgg_mini", "dataset": "d", "name": "b"}]}
    validate(config, SCHEMA)
    for experiment in config["experiments"]:
        assert experiment["train"]["epochs"] == 30 and experiment["retrain"]["lr_cumulative"] == 1e-6
        assert experiment["gpu"] is False
    assert config["datasets"]["d"]["test_fraction"] == 0.25 and config["encode"]["timing_repeats"] == 7


def test_experiment_grid_and_tied_parameters():
    config = load("config.yaml")
    config["experiments"].append({"model": "vgg_mini", "dataset": "digits", "name": "own", "grid": {"both": [
        {"conv": {"cws": {"k": [32, 64]}}, "dense": {"pr_cws": {"p": [90, 95], "k": [32, 64]}}, "tie": ["k"]}]}})
    runs = [run for run in expand_grid(config) if run.experiment == "own"]
    assert [run.point_path for run in runs] == [
        "conv.k~32/dense.p~90/dense.k~32", "conv.k~32/dense.p~95/dense.k~32",
        "conv.k~64/dense.p~90/dense.k~64", "conv.k~64/dense.p~95/dense.k~64"]


def test_seeds_repeat_a_grid_point():
    config = load("config.yaml")
    config["seeds"] = [1, 2]
    config["grid"] = {"dense": {"cws": {"k": [8]}, "pws": {"k": [8], "seeds": [5]}}}
    assert [run.path.split("/", 3)[3] for run in expand_grid(config)] == ["k~8/seed~1", "k~8/seed~2", "k~8/seed~5"]


def test_baseline_seeds_train_the_baseline_again_except_for_the_main_seed():
    config = load("config.yaml")
    experiment = config["experiments"][0]
    assert experiment["baseline_seeds"] == [1, 2, 3] and extra_baseline_seeds(experiment, config["seed"]) == [2, 3]
    assert extra_baseline_seeds({"model": "m"}, 1) == []


@pytest.mark.parametrize("seeds,message", [
    ([], "should be non-empty"), ([2, 2], "non-unique"), ([-1], "less than the minimum"), (["a"], "'a' is not of type"),
    (3, "3 is not of type 'array'"),
])
def test_bad_baseline_seeds_fail_validation_naming_the_key(seeds, message):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["experiments"][0]["baseline_seeds"] = seeds
    with pytest.raises(Exception, match=f"(?s){message}.*baseline_seeds"):
        validate(config, SCHEMA)


def test_baseline_seeds_need_a_baseline_to_train(tmp_path):
    config = load("test.yaml")
    config["experiments"][0]["model_file"] = "mine.keras"
    with pytest.raises(ValueError, match="baseline_seeds trains the baseline again, but model_file"):
        experiment_config(config, "vgg_mini-digits")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(config))
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "-s", str(ROOT / "Snakefile"),
                          "-d", str(tmp_path), "--configfile", str(tmp_path / "bad.yaml")], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode != 0 and "invalid config" in run.stdout + run.stderr


CONFIGS = sorted(path.name for path in (ROOT / "config").glob("*.yaml") if path.name != "schema.yaml")


def dry_run_without_cores(workdir, *args):
    """snakemake -n as the README shows it: no --cores (a cluster run has none either)."""
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
                          *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout + run.stderr


def test_every_config_dry_runs_without_cores(tmp_path):
    """paper.yaml included (5,051 jobs); the timing rules' threads fall back to 8 without --cores."""
    assert {"config.yaml", "paper.yaml", "test.yaml"} <= set(CONFIGS)
    for name in CONFIGS:
        output = dry_run_without_cores(tmp_path / name, "--quiet", "rules", "--configfile", str(ROOT / "config" / name))
        assert "This was a dry-run" in output, name
    assert "--cores" not in dry_run_without_cores(tmp_path / "default", "--quiet", "rules")


def job_resources(output):
    """{rule: set of 'name=value' resources and 'threads=N'} from a dry run's job listing."""
    jobs, rule = {}, None
    for line in output.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):$", line):
            rule = match.group(1)
        elif rule and (match := re.match(r"^\s+(resources|threads): (.+)$", line)):
            values = match.group(2).split(", ") if match.group(1) == "resources" else [f"threads={match.group(2)}"]
            jobs.setdefault(rule, set()).update(values)
    return jobs


def test_gpus_only_for_training_and_a_local_gpu_run_declares_how_many(tmp_path):
    """gpu: true gives gpu=1 to train_baseline, train_baseline_seed and compress only; encode measures on the CPU.

    `--resources gpu=1` (the README's local GPU command) says the machine has one GPU: Snakemake then
    runs one of those jobs at a time (up to snakemake/snakemake#3913), and no job asks for more.
    """
    config = load("test.yaml")
    config["experiments"][0]["gpu"] = True
    (tmp_path / "gpu.yaml").write_text(yaml.safe_dump(config))
    jobs = job_resources(dry_run_without_cores(tmp_path, "--configfile", str(tmp_path / "gpu.yaml"),
                                               "--resources", "gpu=1"))
    training = {"train_baseline", "train_baseline_seed", "compress"}
    assert training | {"encode", "encode_baseline", "data", "aggregate", "plots"} <= set(jobs)
    for rule, values in jobs.items():
        gpus = {value for value in values if value.startswith("gpu=")}
        assert gpus == ({"gpu=1"} if rule in training else set()), (rule, values)
    for rule in training:
        assert {"cpus_per_gpu=4", "cpus_per_task=0"} <= jobs[rule], jobs[rule]
    for rule in ("encode", "encode_baseline"):
        assert "threads=8" in jobs[rule] and any(value.startswith("runtime=") for value in jobs[rule])


def test_config_overrides_without_experiments_change_the_default_config(tmp_path):
    """--config seed=2 alone: config/config.yaml with seed 2, so its extra baselines are seeds 1 and 3."""
    output = dry_run_without_cores(tmp_path, "--config", "seed=2")
    assert "seed~1/baseline.keras" in output and "seed~3/baseline.keras" in output
    assert "seed~2/baseline.keras" not in output
    assert job_counts(output)["compress"] == len(expand_grid(load("config.yaml")))
