"""Reparametrized kernels that retrain a compressed model with plain ``model.fit``.

* Pruned:  kernel = free weights * constant mask, so pruned weights get zero gradient.
* Shared:  kernel = take([0, c_1, ..., c_n], fixed indices), where the codebook c is one
  variable shared by every kernel of the group. The gradient of the loss for c_j is then
  the sum of the gradients of the weights that use it: the study's cumulative-gradient
  rule. Entry 0 is a constant zero, so pruned weights stay exactly 0.

The codebook's gradient is scaled by ``grad_scale = lr_cumulative / optimizer learning
rate`` (a stop-gradient trick that leaves the forward value bit-exact): with plain SGD a
step then moves c_j by exactly ``lr_cumulative * sum of its weights' gradients``. With
adaptive optimizers (Adam) the scale mostly cancels and c_j moves at the optimizer's step.

A layer is reparametrized in place, wherever it sits (inside an RNN, an attention layer, a
wrapper or a custom layer): its class becomes a subclass whose kernel attributes are
properties computing the kernel, so the layer's own ``call`` reads the reparametrized kernel.
These layers only live during retraining; the result is baked into standard layers.
"""
from keras import ops


def _masked(attribute):
    def kernel(self):
        return ops.multiply(self._sham_stored[attribute], self._sham_mask[attribute])
    return property(kernel)


def _shared(attribute):
    def kernel(self):
        codebook = self._sham_codebook[attribute]
        frozen = ops.stop_gradient(codebook)
        scaled = frozen + self._sham_grad_scale * (codebook - frozen)
        table = ops.concatenate([ops.zeros((1,), dtype=scaled.dtype), scaled], axis=0)
        return ops.take(table, self._sham_indices[attribute], axis=0)
    return property(kernel)


def reparametrize(slots_records, codebooks, grad_scale):
    """Make each slot's kernel computed from its record, in place: [(Slot, CompressedLayer)], all of one layer.

    codebooks: {id(record.codebook): trainable keras.Variable of codebook[1:]}. The stored
    variable keeps the record's kernel: trainable under a mask, frozen under a codebook.
    """
    layer = slots_records[0][0].layer
    state = {"stored": {}, "mask": {}, "codebook": {}, "indices": {}}
    properties = {}
    for slot, record in slots_records:
        stored = slot.variable
        stored.assign(record.kernel)
        state["stored"][slot.attribute] = stored
        if record.codebook is None:
            state["mask"][slot.attribute] = ops.convert_to_tensor(record.mask.astype("float32"))
            properties[slot.attribute] = _masked(slot.attribute)
        else:
            stored.trainable = False
            state["codebook"][slot.attribute] = codebooks[id(record.codebook)]
            state["indices"][slot.attribute] = ops.convert_to_tensor(record.indices.astype("int32"))
            properties[slot.attribute] = _shared(slot.attribute)
    for key, value in state.items():  # not Keras-tracked: they are constants, or tracked on the model
        object.__setattr__(layer, f"_sham_{key}", value)
    object.__setattr__(layer, "_sham_grad_scale", float(grad_scale))
    cls = type(layer)
    layer.__class__ = type(f"Compressed{cls.__name__}", (cls,), properties)


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
