"""Which layers a compression touches: Dense kernels ("dense"), Conv1D/2D/3D kernels ("conv")."""
import keras

SELECTIONS = ("dense", "conv", "both")
_KINDS = {"dense": (keras.layers.Dense,),
          "conv": (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)}


def all_layers(model):
    """Every layer of ``model``, nested models flattened, in order."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from all_layers(layer)
        else:
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
    """Layers are matched by name between the input and the compressed copy, so names must be unique."""
    names = [layer.name for layer in all_layers(model)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"layer names must be unique to compress the model; repeated: {', '.join(duplicates)}")
