"""The local run's job server: a job forked from it runs as in its own process, and dies with its client."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from sham_core.common import jobserver

JOB = '''
import os, subprocess, sys
import numpy, threadpoolctl
from sham_core.common.jobserver import run_in_server
run_in_server()
print(f"pid {os.getpid()} cwd {os.getcwd()} forked {os.environ.get('SHAM_JOB_FORKED')} "
      f"mark {os.environ.get('MARK')} blas {threadpoolctl.threadpool_info()[0]['num_threads']} "
      f"keras {'keras' in sys.modules}")
print("on stderr", file=sys.stderr)
if os.environ.get("SLEEP"):
    child = subprocess.Popen(["sleep", "60"])
    open("pids", "w").write(f"{os.getpid()} {child.pid}")
    child.wait()
if os.environ.get("FAIL") == "raise":
    raise RuntimeError("the job failed")
sys.exit(int(os.environ.get("FAIL") or 0))
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("jobs")
    (workdir / "job.py").write_text(JOB)
    started = jobserver.start(str(workdir / "server.log"), str(workdir))
    deadline = time.time() + 120
    while "serving" not in (workdir / "server.log").read_text():
        assert started.poll() is None and time.time() < deadline, (workdir / "server.log").read_text()
        time.sleep(0.2)
    yield workdir
    jobserver.stop(started)
    assert not os.path.exists(jobserver.address(str(workdir))), "the server removes its socket"


def run_job(workdir, **env):
    return subprocess.run([sys.executable, "job.py"], cwd=workdir, capture_output=True, text=True, timeout=120,
                          env={"PATH": os.environ["PATH"], "OMP_NUM_THREADS": "2", "MARK": "m1", **env})


def test_a_forked_job_has_its_clients_folder_environment_streams_and_threads(server):
    done = run_job(server)
    assert done.returncode == 0, done.stderr
    assert f"cwd {server} forked 1 mark m1 blas 2 keras True" in done.stdout
    assert "on stderr" in done.stderr
    assert f"pid {os.getpid()}" not in done.stdout


@pytest.mark.parametrize("fail, status", [("3", 3), ("raise", 1)])
def test_a_failed_job_gives_its_status_to_its_client(server, fail, status):
    done = run_job(server, FAIL=fail)
    assert done.returncode == status
    assert fail != "raise" or "RuntimeError: the job failed" in done.stderr


def test_killing_the_client_kills_the_job_and_its_children(server):
    client = subprocess.Popen([sys.executable, "job.py"], cwd=server, env={"PATH": os.environ["PATH"], "SLEEP": "1"})
    deadline = time.time() + 60
    while not (server / "pids").exists() or len((server / "pids").read_text().split()) < 2:
        assert time.time() < deadline
        time.sleep(0.1)
    pids = [int(pid) for pid in (server / "pids").read_text().split()]
    client.send_signal(signal.SIGTERM)
    client.wait(10)
    deadline = time.time() + 10
    while any(_running(pid) for pid in pids):
        assert time.time() < deadline, "the forked job or its child outlived its client"
        time.sleep(0.1)


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_without_a_server_the_job_runs_in_its_own_process(tmp_path):
    (tmp_path / "job.py").write_text(JOB)
    done = run_job(tmp_path)
    assert done.returncode == 0 and "forked None" in done.stdout and "keras False" in done.stdout


def test_a_stale_socket_of_a_server_that_died_leaves_the_job_to_its_own_process(tmp_path):
    (tmp_path / "job.py").write_text(JOB)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(jobserver.address(str(tmp_path)))
    stale.close()  # the file stays, nobody listens
    try:
        done = run_job(tmp_path)
    finally:
        os.unlink(jobserver.address(str(tmp_path)))
    assert done.returncode == 0 and "forked None" in done.stdout
