"""Send a workflow job's output, C-level library logs included, to its log file."""
import contextlib
import os
import sys
import traceback


@contextlib.contextmanager
def logging_to(path):
    """Redirect stdout and stderr (file descriptors 1 and 2) to ``path``; log a traceback on error."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            traceback.print_exc()
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
