"""provenance.json records the commit, versions, backend, device, threads, seed and time of a run."""
import json
import subprocess

import keras

from sham_core.common import provenance as prov
from sham_core.common.atomic import read_json

FIELDS = {"commit", "dirty", "versions", "backend", "device", "threads", "hostname", "platform",
          "python", "seed", "timestamp"}


def test_provenance_has_every_field_and_is_json(tmp_path):
    path = tmp_path / "runs" / "provenance.json"
    prov.write_provenance(path, seed=7, threads=3)
    record = read_json(path)
    assert set(record) == FIELDS and json.loads(json.dumps(record)) == record
    backend = keras.backend.backend()
    assert record["backend"] == backend and record["seed"] == 7
    assert set(record["versions"]) == {"sham_core", "keras", "numpy", "numba", "scipy", "scikit-learn", backend}
    assert record["versions"]["keras"] == keras.__version__
    assert set(record["device"]) == {"cpu", "keras_device", "accelerators", "accelerator", "cuda_visible_devices"}
    assert record["threads"]["requested"] == 3 and record["threads"]["numba"] >= 1
    assert record["timestamp"].endswith("+00:00")


def test_commit_is_this_checkout_head():
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=prov.PACKAGE_DIR, capture_output=True,
                          text=True, check=True).stdout.strip()
    commit, dirty = prov.git_state(prov.PACKAGE_DIR)
    assert commit == head and isinstance(dirty, bool)


def test_outside_a_checkout_the_commit_is_unknown(tmp_path):
    (tmp_path / "__init__.py").write_text("")
    assert prov.git_state(tmp_path) == ("unknown", None)


def test_a_missing_distribution_has_no_version():
    assert prov.version("no-such-distribution-xyz") is None
    assert prov.version("no-such-distribution-xyz", "numpy") is not None
