"""A local run's job server: TensorFlow and Keras imported once, every job forked from there.

Each job of a local run is a fresh Python process that imports TensorFlow and Keras (5-7 s on a
small machine) for a few seconds of work. The Snakefile starts this server when a local run starts
(``start``); it imports them once, and the script Snakemake starts for a job (``run_in_server``)
hands the job over: the server forks, and the fork runs the same script with the job's
environment, working directory and standard streams, while the script Snakemake started waits
for its exit status. The server does nothing but import before it forks (one thread, no backend
op, no BLAS or OpenMP thread), so every fork starts like a fresh process that has just imported.

A job that finds no server (a cluster job, a dry run, a server that failed) runs in its own
process, as before. When the script Snakemake started is killed, its fork is killed too.
"""
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

from .jobenv import lock_path

FORKED = "SHAM_JOB_FORKED"  # set in a fork: its script runs the job itself
START_TIMEOUT_S = 300  # a server that has not forked a job by then is stuck: the job runs in its own process
REQUEST_TIMEOUT_S = 10  # a client that connects but sends no request does not hold up the others
PRELOAD = ("keras", "sham_core.training.job", "sham_core.compression.job", "sham_core.encoding.job",
           "snakemake.script")  # snakemake.script: each script's preamble
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def address(workdir=None):
    """The server's socket: one per working directory on one machine (or batch allocation), as the job lock."""
    return lock_path(workdir)[: -len(".lock")] + ".sock"


def start(log_path, workdir=None):
    """Start the server for the run in ``workdir`` (its output in ``log_path``); the Popen, for ``stop``."""
    os.makedirs(os.path.dirname(os.path.abspath(log_path)), exist_ok=True)
    single = {name: "1" for name in THREAD_VARIABLES}  # no BLAS or OpenMP thread in the server
    with open(log_path, "a") as log:
        return subprocess.Popen([sys.executable, "-m", "sham_core.common.jobserver", address(workdir)], cwd=workdir,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **single}, start_new_session=True)


def stop(server, timeout=10):
    """Stop a server ``start`` returned: it kills the forks still running (their jobs have ended)."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_in_server():
    """Hand this job to the server and exit with its status; return at once where there is no server (or
    in the fork itself), so that the script goes on and runs the job.

    The fork runs the file Python was started with (``sys.argv[0]``): Snakemake's copy of the script,
    whose preamble defines ``snakemake`` (it sets ``__file__`` to the original).
    """
    script, path = sys.argv[0], address()
    if os.environ.get(FORKED):
        return
    try:
        if os.stat(path).st_uid != os.getuid():  # not our server: the request carries the environment
            return
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
    except OSError:
        return
    request = {"script": os.path.abspath(script), "cwd": os.getcwd(), "env": dict(os.environ)}
    with conn, conn.makefile("rb") as replies:
        try:
            conn.settimeout(START_TIMEOUT_S)
            socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], [0, 1, 2])
            started = replies.readline()
            conn.settimeout(None)
        except OSError:  # closing the connection cancels the request: the server kills a late fork
            return
        if not started:  # the server closed before forking (it is stopping, or failed): run here
            return
        reply = json.loads(replies.readline() or b'{"status": 1, "error": "the job server stopped"}')
    if reply.get("error"):
        print(f"job server: {reply['error']}", file=sys.stderr)
    sys.exit(reply["status"])


def serve(path):
    """Listen on ``path``, import ``PRELOAD``, then fork a job for each request until SIGTERM or the
    parent's end; a job whose client closes its connection is killed, with its children."""
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)  # only this user's jobs may connect
    listener.listen(64)  # jobs that ask while the server imports wait for it
    parent = os.getppid()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    jobs = {}  # pid -> client connection
    try:  # whatever ends the server (a failed import too), its socket goes and its jobs are killed
        started = time.time()
        import keras
        if keras.backend.backend() != "tensorflow":  # the other backends' jobs keep TensorFlow out of their process
            print(f"job server: Keras backend {keras.backend.backend()}; every job runs in its own process",
                  flush=True)
            return
        for module in PRELOAD:
            __import__(module)
        print(f"job server: {', '.join(PRELOAD)} imported in {time.time() - started:.1f} s; serving {path}",
              flush=True)
        events = selectors.DefaultSelector()
        events.register(listener, selectors.EVENT_READ)
        while not stopping and os.getppid() == parent:
            for key, _ in events.select(timeout=0.1):
                if key.fileobj is listener:
                    _accept(listener, jobs, events)
                elif not _alive(key.fileobj):  # the client is gone: so is its job
                    _kill(key.data)
            _reap(jobs, events)
    finally:
        os.unlink(path)
        for pid in jobs:
            _kill(pid)


def _alive(conn):
    """False once the client closed its end (it ended, or was killed)."""
    try:
        return bool(conn.recv(1))
    except OSError:
        return False


def _accept(listener, jobs, events):
    """Read one job's request and its standard streams, fork it, and tell the client it started."""
    conn, _ = listener.accept()
    fds = []
    try:
        conn.settimeout(REQUEST_TIMEOUT_S)
        message, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
        while message and not message.endswith(b"\n"):
            message += conn.recv(1 << 16) or b"\n"
        conn.settimeout(None)
        request = json.loads(message)
        if len(fds) != 3:
            raise ValueError(f"{len(fds)} standard streams")
    except (OSError, ValueError) as error:
        print(f"job server: a bad request ({error}); its client runs the job itself", flush=True)
        for fd in fds:
            os.close(fd)
        conn.close()
        return
    pid = os.fork()
    if pid == 0:
        for inherited in (listener, events, conn, *jobs.values()):
            inherited.close()
        _run_job(request, fds)
    try:
        os.setpgid(pid, pid)  # as the fork does: whichever runs first, the group exists for _kill
    except OSError:
        pass
    for fd in fds:
        os.close(fd)
    try:
        conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    except OSError:  # the client gave up waiting: the selector sees it gone and the job is killed
        pass
    jobs[pid] = conn
    events.register(conn, selectors.EVENT_READ, pid)


def _reap(jobs, events):
    """Send each ended job's exit status to its client."""
    while jobs:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = jobs.pop(pid)
        events.unregister(conn)
        code = os.waitstatus_to_exitcode(status)
        reply = {"status": code} if code >= 0 else {"status": 128 - code, "error": f"the job was killed "
                                                                                    f"by signal {-code}"}
        try:
            conn.sendall(json.dumps(reply).encode() + b"\n")
        except OSError:
            pass
        conn.close()


def _kill(pid):
    """Kill a job and every process it started (its process group)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _run_job(request, fds):
    """In the fork: become the job (its streams, folder, environment, threads), run its script, exit."""
    os.setpgid(0, 0)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"], **{FORKED: "1"})
    status = 1
    try:
        _job_threads()
        import runpy
        sys.argv = [request["script"]]
        runpy.run_path(request["script"], run_name="__main__")
        status = 0
    except SystemExit as end:
        status = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
        if not isinstance(end.code, (int, type(None))):
            print(end.code, file=sys.stderr)
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _job_threads():
    """BLAS and OpenMP threads as the job's environment asks: the server loaded them with one each."""
    from threadpoolctl import threadpool_limits
    wanted = next((os.environ[name] for name in THREAD_VARIABLES if os.environ.get(name)), None)
    threadpool_limits(int(wanted) if wanted and wanted.isdigit() else os.cpu_count())


if __name__ == "__main__":
    serve(sys.argv[1])
