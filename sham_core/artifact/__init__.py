"""One file per compressed model: save it, load it, run it from its compact form.

    sizes = save(res, "model.sham", params={"p": 90, "k": 32})   # res: a CompressionResult
    art = load("model.sham"); art.predict(x); art.manifest["psi"]

The file (layout in container.py) holds the model's Keras JSON, every weight but the
compressed kernels as raw little-endian bytes, every compressed kernel in its chosen
format's bytes (slr: its two factors, each encoded), and a JSON manifest: method, params,
formats per layer, psi, metrics, byte counts and the versions that wrote it.
"""
from .container import VERSION, ArtifactError
from .reading import Artifact, load, sizes
from .writing import save, versions

__all__ = ["VERSION", "Artifact", "ArtifactError", "load", "save", "sizes", "versions"]
