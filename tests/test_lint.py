"""Lint, as the Snakemake workflow catalog checks it: ruff, snakefmt --check and snakemake --lint.

ruff and snakefmt come with the test extra (pip install -e '.[test]'); their settings are in
pyproject.toml. snakemake --lint may report only that no rule names a conda environment or a
container: the workflow runs in one Python environment (docs/slurm.md).
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT_LINT = "Specify a conda environment or container for each rule."


def tool(name):
    """The tool beside this Python (the project's venv), else on PATH; a failure naming the install if absent."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def run(*command):
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_check_passes():
    out = run(tool("ruff"), "check", "--no-cache", ".")
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]


def test_snakefmt_check_passes():
    out = run(tool("snakefmt"), "--check", ".")
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]


def test_snakemake_lint_reports_only_the_software_environment():
    out = run(sys.executable, "-m", "snakemake", "--lint", "-s", str(ROOT / "Snakefile"))
    text = out.stdout + out.stderr
    lints = re.findall(r"^\s+\* (.+?):?$", text, re.MULTILINE)
    assert lints, text[-3000:]  # the format changed: nothing to check the expected lint against
    others = sorted({lint for lint in lints if lint.rstrip(":") != ENVIRONMENT_LINT})
    assert not others, text[-6000:]
    assert "Traceback" not in text and "Error" not in text, text[-3000:]
