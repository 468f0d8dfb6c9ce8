"""The workflow through Slurm with profiles/slurm (skipped unless `sinfo` answers).

`scripts/slurm_local.sh up` (as root) starts a one-node cluster with a fake GPU; .ci/run does so
and names "slurm" in SHAM_REQUIRE, which turns the skip into a failure. The cluster has no
accounting, so the tests override the profile's status command with squeue.
"""
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from requirements import skip_unless

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "slurm"
CONFIG = Path(__file__).parent / "slurm_config.yaml"
GOOD = "results/models/vgg_mini-digits/metrics.json"
BROKEN = "results/models/broken/metrics.json"


def _cluster_problem():
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is not installed (pip install -e '.[slurm]')"
    if shutil.which("sinfo") is None:
        return "no Slurm client (sinfo) on PATH; scripts/slurm_local.sh up starts a local cluster"
    try:
        answer = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 20 s"
    if answer.returncode != 0 or not answer.stdout.strip():
        return f"sinfo does not answer: {answer.stderr.strip()[:300]}"
    return None


@pytest.fixture(scope="module", autouse=True)
def cluster():
    problem = _cluster_problem()
    skip_unless(problem is None, "slurm", problem)


def snakemake(workdir, *targets, timeout):
    """snakemake --profile profiles/slurm with the local cluster's overrides.

    Returns (exit status, output, {line: seconds after the start when it was printed}).
    """
    command = [sys.executable, "-m", "snakemake", *targets, "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
               "--configfile", str(CONFIG), "--profile", str(PROFILE),
               # No accounting here: sacct fails, squeue works (MinJobAge=300).
               "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
               "--slurm-keep-successful-logs", "--verbose"]
    start = time.monotonic()
    lines, seen = [], {}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            for line in process.stdout:
                lines.append(line)
                seen.setdefault(line.strip(), time.monotonic() - start)
        finally:
            timer.cancel()
    assert time.monotonic() - start < timeout, f"snakemake hung: killed after {timeout} s"
    return process.returncode, "".join(lines), seen


def sbatch_calls(output):
    """{rule: [sbatch command line, ...]} from the --verbose log."""
    calls = {}
    for line in output.splitlines():
        if "sbatch call:" in line:
            rule = re.search(r"--comment '?rule_([A-Za-z0-9_]+?)(_wildcards_|'|\s)", line).group(1)
            calls.setdefault(rule, []).append(line)
    return calls


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("slurm")
    status, output, _ = snakemake(workdir, GOOD, timeout=300)
    assert status == 0, output[-6000:]
    return workdir, output


def test_outputs_are_correct(good_run):
    workdir, _ = good_run
    meta = json.loads((workdir / "results" / "data" / "digits" / "meta.json").read_text())
    assert meta["n_train"] + meta["n_test"] == 1797
    metrics = json.loads((workdir / GOOD).read_text())
    assert metrics["epochs"] == 1 and 0 < metrics["test"] <= 1
    assert (workdir / "results" / "models" / "vgg_mini-digits" / "baseline.keras").stat().st_size > 10_000


def test_jobs_went_through_sbatch_with_their_logs(good_run):
    workdir, output = good_run
    calls = sbatch_calls(output)
    assert calls.get("train_baseline"), output[-3000:]
    logs = list((workdir / "results" / "logs" / "slurm" / "rule_train_baseline").rglob("*.log"))
    assert len(logs) == 1 and "rule train_baseline" in logs[0].read_text()
    # data is a localrule (it downloads on the login node) or a Slurm job of its own.
    data_logs = list((workdir / "results" / "logs" / "slurm").glob("rule_data/**/*.log"))
    assert len(data_logs) == len(calls.get("data", []))


def test_gpu_rule_asks_slurm_for_a_gpu(good_run):
    workdir, output = good_run
    call, = sbatch_calls(output)["train_baseline"]
    wanted = yaml.safe_load((PROFILE / "config.yaml").read_text())["set-resources"]["train_baseline"]
    for option in ("--gpus=1", f"--cpus-per-gpu={wanted['cpus_per_gpu']}", f"--mem {wanted['mem_mb']}",
                   f"-t {wanted['runtime']}"):
        assert option in call, (option, call)
    for rule, rule_calls in sbatch_calls(output).items():
        if rule != "train_baseline":
            assert all("--gpus" not in c for c in rule_calls), rule
    # Slurm granted it: the job record (kept for MinJobAge) carries the GPU.
    log, = (workdir / "results" / "logs" / "slurm" / "rule_train_baseline").rglob("*.log")
    job = subprocess.run(["scontrol", "show", "job", log.stem], capture_output=True, text=True, timeout=20)
    assert "JobState=COMPLETED" in job.stdout and re.search(r"TresPerJob=gres[:/]gpu:1", job.stdout), \
        job.stdout + job.stderr


def test_a_failing_job_is_reported_within_a_minute(good_run):
    workdir, _ = good_run
    status, output, seen = snakemake(workdir, BROKEN, timeout=180)
    assert status != 0, output[-3000:]
    assert re.search(r"SLURM-job '\d+' failed, SLURM status is: 'FAILED'", output), output[-3000:]
    reported = seen.get("Error in rule train_baseline:")
    assert reported is not None, output[-3000:]
    assert reported < 60, f"the failure was reported after {reported:.0f} s"
    assert not (workdir / BROKEN).exists()
    assert "no/such/model.keras" in (workdir / "results" / "logs" / "train" / "broken.log").read_text()
