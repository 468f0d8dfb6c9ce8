"""Reparametrized Dense/Conv layers that retrain a compressed kernel with plain ``model.fit``.

* Pruned:  kernel = free weights * constant mask, so pruned weights get zero gradient.
* Shared:  kernel = take([0, c_1, ..., c_n], fixed indices), where the codebook c is one
  variable shared by every layer of the group. The gradient of the loss for c_j is then
  the sum of the gradients of the weights that use it: the study's cumulative-gradient
  rule. Entry 0 is a constant zero, so pruned weights stay exactly 0.

The codebook's gradient is scaled by ``grad_scale = lr_cumulative / optimizer learning
rate`` (a stop-gradient trick that leaves the forward value bit-exact): with plain SGD a
step then moves c_j by exactly ``lr_cumulative * sum of its weights' gradients``. With
adaptive optimizers (Adam) the scale mostly cancels and c_j moves at the optimizer's step.
These layers only live during retraining; the result is baked into standard layers.
"""
import keras
from keras import ops


class MaskedKernel:
    """Mixin: the kernel is the trainable ``_kernel`` times the constant ``kernel_mask``."""

    @property
    def kernel(self):
        return ops.multiply(self._kernel, self.kernel_mask)


class SharedKernel:
    """Mixin: the kernel is looked up in the group's shared ``codebook`` through fixed ``kernel_indices``."""

    @property
    def kernel(self):
        codebook = ops.stop_gradient(self.codebook)
        codebook = codebook + self.grad_scale * (self.codebook - codebook)
        table = ops.concatenate([ops.zeros((1,), dtype=codebook.dtype), codebook], axis=0)
        return ops.take(table, self.kernel_indices, axis=0)


def reparametrized_layer(layer, record, codebook, grad_scale):
    """A fresh, unbuilt copy of ``layer`` whose kernel is computed from ``record`` (a CompressedLayer)."""
    mixin = MaskedKernel if record.codebook is None else SharedKernel
    cls = type(f"{mixin.__name__}{type(layer).__name__}", (mixin, type(layer)), {})
    clone = cls.from_config(plain_config(layer))
    if record.codebook is None:
        clone.kernel_mask = keras.Variable(record.mask.astype("float32"), trainable=False, name="kernel_mask")
    else:
        clone.codebook = codebook
        clone.grad_scale = float(grad_scale)
        clone.kernel_indices = keras.Variable(record.indices, dtype="int32", trainable=False, name="kernel_indices")
    return clone


def plain_config(layer):
    """The layer's config without LoRA: its copy holds the merged kernel (see plain_weights)."""
    return {key: value for key, value in layer.get_config().items() if key not in ("lora_rank", "lora_alpha")}


def plain_clone(layer):
    """A fresh, unbuilt copy of ``layer`` without LoRA, for keras.models.clone_model."""
    return layer.__class__.from_config(plain_config(layer))


def plain_weights(layer):
    """The layer's weights as numpy, its LoRA adapters (if enabled) merged into the kernel: W + A @ B * alpha / rank.

    Keras' ``kernel`` (``embeddings``) property computes that merge; the adapters themselves are dropped,
    so the list fits a copy made from plain_config.
    """
    if not getattr(layer, "lora_enabled", False):
        return layer.get_weights()
    merged = {id(getattr(layer, stored)): getattr(layer, public)
              for stored, public in (("_kernel", "kernel"), ("_embeddings", "embeddings")) if hasattr(layer, stored)}
    return [ops.convert_to_numpy(merged.get(id(weight), weight)) for weight in layer.weights
            if not weight.name.startswith("lora_")]


def init_reparametrized(clone, layer, record):
    """Load a built reparametrized ``clone`` from the original ``layer`` and its compression ``record``."""
    if record.codebook is None:
        clone._kernel.assign(record.kernel)
    else:
        clone._kernel.assign(record.kernel)
        clone._kernel.trainable = False
    if layer.bias is not None:
        clone.bias.assign(layer.bias)


def read_kernel(clone):
    """The current kernel of a reparametrized layer, as numpy."""
    return ops.convert_to_numpy(clone.kernel)
