"""keep_tensorflow_out: under torch, Keras' own probes for TensorFlow stop importing it (skipped without torch)."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from requirements import skip_unless
from test_study_smoke import torch_without_tensorflow

# Seeding, a compile config and cloning: each makes Keras probe for TensorFlow, whatever the backend.
PROBES = """import sys
import keras
from sham_core.common.backend import keep_tensorflow_out
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile("adam", "mse")
print({keep})
keras.utils.set_random_seed(1)
model.get_compile_config()
keras.models.clone_model(model)
print(keras.backend.backend(), "tensorflow" in sys.modules)
"""


@pytest.mark.parametrize("keep", [False, True])
def test_keras_imports_tensorflow_under_torch_unless_kept_out(tmp_path, keep):
    skip_unless(importlib.util.find_spec("torch") is not None, "torch", "torch is not installed")
    env = torch_without_tensorflow(tmp_path)
    code = PROBES.format(keep="keep_tensorflow_out()" if keep else "'not kept'")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.split()[-2:] == ["torch", "False"], run.stderr[-3000:]
    assert run.stdout.split()[0] == ("True" if keep else "not")
    assert Path(env["SHAM_TENSORFLOW_IMPORTS"]).exists() != keep
