"""Which layers a compression touches: Dense kernels ("dense"), Conv1D/2D/3D kernels ("conv")."""
import keras

SELECTIONS = ("dense", "conv", "both")
_KINDS = {"dense": (keras.layers.Dense,),
          "conv": (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)}


def all_layers(model):
    """Every layer of ``model``, nested models flattened, in order."""
    for _, layer in layer_paths(model):
        yield layer


def layer_kind(layer):
    """"dense" or "conv" for a layer whose kernel can be compressed, else None."""
    for kind, classes in _KINDS.items():
        if isinstance(layer, classes):
            return kind
    return None


def layers_of_kind(model, kind):
    """The layers of ``model`` of one kind, ValueError if there is none."""
    found = [layer for layer in all_layers(model) if layer_kind(layer) == kind]
    if not found:
        classes = ", ".join(cls.__name__ for cls in _KINDS[kind])
        raise ValueError(f"the model has no {kind} layer ({classes}) to compress; "
                         f"choose another layers= selection")
    return found


def check_unique_names(model):
    """Compressed kernels are recorded by their layer's name (in the model file too), so names must be unique."""
    names = [layer.name for layer in all_layers(model)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"layer names must be unique to compress the model; repeated: {', '.join(duplicates)}")


def check_float(model):
    """ValueError naming the first quantized layer (model.quantize: int8, int4, float8, ...) or unmergeable LoRA.

    A quantized kernel holds integer codes and scales, not weights: compressing them would be wrong.
    LoRA is merged into the kernels of the layers the model lists (see layers.plain_weights), not
    into layers inside a custom layer, whose copy is made by the custom layer itself.
    """
    for path, layer in layer_paths(model):
        for inner_path, inner in [(path, layer), *_sublayers(layer, path)]:
            mode = getattr(inner, "quantization_mode", None)
            if mode:
                raise ValueError(f"layer {inner_path} ({type(inner).__name__}) is {mode}-quantized "
                                 f"(model.quantize): its kernel holds {mode} codes and scales, not weights; "
                                 f"compress the float model, before model.quantize()")
            if inner is not layer and getattr(inner, "lora_enabled", False):
                raise ValueError(f"layer {inner_path} ({type(inner).__name__}) inside the custom layer {path} has "
                                 f"LoRA enabled, which only layers the model lists directly can merge; merge it "
                                 f"into its kernel first (kernel + lora_kernel_a @ lora_kernel_b * lora_alpha / "
                                 f"lora_rank) and build the layer without LoRA")


def layer_paths(model, prefix=""):
    """(path, layer) of every layer of ``model``, nested models flattened, the path through them joined by /."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from layer_paths(layer, f"{prefix}{layer.name}/")
        else:
            yield f"{prefix}{layer.name}", layer


def _sublayers(layer, path):
    """(path, sublayer) of the layers a layer holds inside it (a custom layer's Dense, an RNN's cell, ...)."""
    return [(f"{path}/{inner.name}", inner) for inner in layer._flatten_layers(include_self=False, recursive=True)]
