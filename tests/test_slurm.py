"""The workflow through Slurm: a user's site profile plus the workflow profile (skipped unless `sinfo` answers).

The site profile is profiles/slurm with an account added, given as $SNAKEMAKE_PROFILE the way a user
installs their own; Snakemake adds profiles/default (the workflow profile) without a flag, and the
rules bring their threads, memory, time and GPUs. `scripts/slurm_local.sh up` (as root) starts a
one-node cluster with a fake GPU; .ci/run does so and names "slurm" in SHAM_REQUIRE, which turns the
skip into a failure. The cluster has no accounting, so the tests override the profile's status
command with squeue.
"""
import importlib.util
import json
import os
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
from sham_core.workflow import resources
from sham_core.workflow.config import expand_grid

pytestmark = pytest.mark.e2e  # end to end: make test-fast leaves it out

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "profiles" / "slurm"
CONFIG = Path(__file__).parent / "slurm_config.yaml"
ACCOUNT = "shamtest"
GOOD = "results/models/vgg_mini-digits/metrics.json"
RUN, = expand_grid(yaml.safe_load(CONFIG.read_text()))
ENCODING = f"results/runs/{RUN.path}/encoding.json"
BROKEN = "results/models/broken/metrics.json"
RETRY = "results/models/retry/metrics.json"


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


@pytest.fixture(scope="module")
def site_profile(tmp_path_factory):
    """A user's site profile: profiles/slurm with an account."""
    folder = tmp_path_factory.mktemp("site")
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    profile["default-resources"] = {"slurm_account": ACCOUNT}
    (folder / "config.yaml").write_text(yaml.safe_dump(profile))
    return folder


def snakemake(workdir, profile, *targets, timeout, options=()):
    """snakemake with $SNAKEMAKE_PROFILE=profile (and the workflow profile), and the local cluster's overrides.

    tests/ is on PYTHONPATH, for the retry experiment's imports: (fail_once). Returns (exit status,
    output, {line: seconds after the start when it was printed}).
    """
    command = [sys.executable, "-m", "snakemake", *targets, "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
               "--configfile", str(CONFIG),
               # No accounting here: sacct fails, squeue works (MinJobAge=300).
               "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
               "--slurm-keep-successful-logs", "--verbose", *options]
    environment = dict(os.environ, SNAKEMAKE_PROFILE=str(profile),
                       PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")])))
    start = time.monotonic()
    lines, seen = [], {}
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=environment) as process:
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


def option(call, name):
    """The value of an sbatch option (`--mem 2001`, `-t 30`) in one sbatch call."""
    return int(re.search(rf"(?:^|\s){re.escape(name)}[ =]'?(\d+)", call).group(1))


@pytest.fixture(scope="module")
def good_run(tmp_path_factory, site_profile):
    """The GPU experiment's baseline and its one compression run, encoded."""
    workdir = tmp_path_factory.mktemp("slurm")
    status, output, _ = snakemake(workdir, site_profile, GOOD, ENCODING, timeout=420)
    assert status == 0, output[-6000:]
    return workdir, output


def test_outputs_are_correct(good_run):
    workdir, _ = good_run
    meta = json.loads((workdir / "results" / "data" / "digits" / "meta.json").read_text())
    assert meta["n_train"] + meta["n_test"] == 1797
    metrics = json.loads((workdir / GOOD).read_text())
    assert metrics["epochs"] == 1 and 0 < metrics["test"] <= 1
    assert (workdir / "results" / "models" / "vgg_mini-digits" / "baseline.keras").stat().st_size > 10_000
    assert json.loads((workdir / ENCODING).read_text())["bytes"]


def test_jobs_went_through_sbatch_with_their_logs(good_run):
    workdir, output = good_run
    calls = sbatch_calls(output)
    assert {"train_baseline", "compress", "encode"} <= set(calls), output[-3000:]
    logs = list((workdir / "results" / "logs" / "slurm" / "rule_train_baseline").rglob("*.log"))
    assert len(logs) == 1 and "rule train_baseline" in logs[0].read_text()
    # data is a localrule (it downloads on the login node) or a Slurm job of its own.
    data_logs = list((workdir / "results" / "logs" / "slurm").glob("rule_data/**/*.log"))
    assert len(data_logs) == len(calls.get("data", []))


def test_the_site_account_and_the_rules_resources_reach_every_sbatch_call(good_run):
    """The site profile's slurm_account beside each rule's own memory and time, from the rules."""
    _, output = good_run
    for calls in sbatch_calls(output).values():
        for call in calls:
            assert f"-A {ACCOUNT}" in call and option(call, "--mem") >= 2000 and option(call, "-t") == 30, call
    call, = sbatch_calls(output)["train_baseline"]
    expected = resources.BASE_MB["vgg_mini"]["train"]
    assert expected <= option(call, "--mem") < expected + 100, call


def test_only_the_training_jobs_ask_for_a_gpu(good_run):
    """train_baseline and compress ask for --gpus=1 and --cpus-per-gpu; encode (a CPU measurement) asks for neither."""
    workdir, output = good_run
    calls = sbatch_calls(output)
    for rule in ("train_baseline", "compress"):
        call, = calls[rule]
        assert "--gpus=1" in call and f"--cpus-per-gpu={resources.TRAINING_CPUS}" in call, call
    for rule, rule_calls in calls.items():
        if rule not in ("train_baseline", "compress"):
            assert all("--gpus" not in call and "--cpus-per-gpu" not in call for call in rule_calls), rule
    call, = calls["encode"]
    assert "--cpus-per-task=8" in call, call
    # Slurm granted it: the job record (kept for MinJobAge) carries the GPU.
    log, = (workdir / "results" / "logs" / "slurm" / "rule_train_baseline").rglob("*.log")
    job = subprocess.run(["scontrol", "show", "job", log.stem], capture_output=True, text=True, timeout=20)
    assert "JobState=COMPLETED" in job.stdout and re.search(r"TresPerJob=gres[:/]gpu:1", job.stdout), \
        job.stdout + job.stderr


def test_a_job_that_fails_is_retried_with_twice_the_memory_and_time(good_run, site_profile):
    """retries: 2 (profiles/slurm); the retry experiment's job fails its first attempt (tests/fail_once.py)."""
    workdir, _ = good_run
    status, output, _ = snakemake(workdir, site_profile, RETRY, timeout=300)
    assert status == 0, output[-6000:]
    first, second = sbatch_calls(output)["train_baseline"]
    assert option(second, "--mem") == 2 * option(first, "--mem") and option(second, "-t") == 2 * option(first, "-t")
    # Snakemake clears the rule's log before the retry; Slurm's log of the first attempt keeps the failure.
    logs = (workdir / "results" / "logs" / "slurm" / "rule_train_baseline" / "retry").glob("*.log")
    first_log, second_log = sorted(logs, key=lambda path: int(path.stem))
    assert "the first attempt fails on purpose" in first_log.read_text()
    assert "the first attempt fails on purpose" not in second_log.read_text()
    assert json.loads((workdir / RETRY).read_text())["epochs"] == 0


def test_a_failing_job_is_reported_within_a_minute(good_run, site_profile):
    workdir, _ = good_run
    status, output, seen = snakemake(workdir, site_profile, BROKEN, timeout=180, options=("--retries", "0"))
    assert status != 0, output[-3000:]
    assert re.search(r"SLURM-job '\d+' failed, SLURM status is: 'FAILED'", output), output[-3000:]
    reported = seen.get("Error in rule train_baseline:")
    assert reported is not None, output[-3000:]
    assert reported < 60, f"the failure was reported after {reported:.0f} s"
    assert not (workdir / BROKEN).exists()
    assert "no/such/model.keras" in (workdir / "results" / "logs" / "train" / "broken.log").read_text()
