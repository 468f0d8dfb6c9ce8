"""Named in the imports: of tests/slurm_config.yaml's retry experiment: the first job that imports it fails.

It leaves fail_once.done in the job's working directory (the workflow's), so the job's next attempt
succeeds: a stand-in for a job killed for running out of memory, which a retry with more fixes.
"""
from pathlib import Path

DONE = Path("fail_once.done")

if not DONE.exists():
    DONE.touch()
    raise MemoryError("tests/fail_once.py: the first attempt fails on purpose (as if it ran out of memory)")
