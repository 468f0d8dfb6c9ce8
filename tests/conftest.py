"""Session set-up shared by every test file."""
import subprocess
import sys

import pytest

WARM_UP = "from sham_core.common.measure import warm_up; from sham_core.formats import FORMATS; warm_up(list(FORMATS))"


# Files that train models, run benchmarks or Snakemake dry runs, or spawn processes: make test-fast
# leaves them out, beside the end-to-end files (pytestmark = pytest.mark.e2e in each).
INTEGRATION_FILES = {"test_any_model.py", "test_backend.py", "test_backend_parity.py", "test_bench.py",
                     "test_bench_memory.py", "test_jobs.py", "test_latency.py", "test_memory.py",
                     "test_modern_models.py", "test_retraining.py", "test_workflow_config.py"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.name in INTEGRATION_FILES:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def format_kernels_compiled_beside_the_tests():
    """Compile every format's numba kernels into numba's cache in a second process, on the other core.

    In a fresh clone the cache is empty, and this process would otherwise compile them one after
    another as tests first call them (75 s on 2 cores of an AMD EPYC). Tests that come to a kernel
    first compile it themselves as before; numba writes its cache files atomically.
    """
    warm = subprocess.Popen([sys.executable, "-c", WARM_UP], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield
    try:
        warm.wait(timeout=300)
    except subprocess.TimeoutExpired:
        warm.kill()
        warm.wait()
