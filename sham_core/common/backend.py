"""Keeping TensorFlow out of a workflow job that runs Keras on another backend (torch, jax)."""
import sys

import keras


def keep_tensorflow_out():
    """Under a Keras backend other than TensorFlow, Keras treats TensorFlow as not installed in this process.

    Keras imports TensorFlow wherever it probes for it, whatever the backend, as soon as it is
    installed: when seeding (keras.utils.set_random_seed) and when serializing a compile config
    (get_compile_config, clone_model). Under torch or jax that is seconds and hundreds of MB in
    every job, which its timings and peak memory would carry. Keras answers that probe once per
    process; it is answered here with ``import tensorflow`` failing, as on a machine without it
    (the GPU machines). Layers that need TensorFlow under any backend (StringLookup, Hashing and
    the like) then fail as they do there. No-op under TensorFlow, or once TensorFlow is imported.
    Returns whether Keras now treats TensorFlow as absent.
    """
    if keras.backend.backend() == "tensorflow" or "tensorflow" in sys.modules:
        return False
    try:  # Keras' lazy handle, which keeps its first answer; private, so the torch workflow test guards it
        from keras.src.utils.module_utils import tensorflow
    except ImportError:
        return False
    sys.modules["tensorflow"] = None  # `import tensorflow` raises ImportError while this is set
    try:
        return not tensorflow.available
    finally:
        del sys.modules["tensorflow"]
