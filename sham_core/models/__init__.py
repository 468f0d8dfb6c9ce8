"""Model builders by name, and loading a model file you bring yourself."""
from .deepdta import deepdta, deepdta_mini
from .transformer import vit_mini
from .vgg import vgg19, vgg_mini

MODELS = {"vgg_mini": vgg_mini, "vgg19": vgg19, "deepdta": deepdta, "deepdta_mini": deepdta_mini,
          "vit_mini": vit_mini}


def build_model(name, input_shapes, task, classes):
    """A fresh, uncompiled model ``name`` for the dataset's inputs and task."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}, "
                         f"or give the experiment a model_file")
    return MODELS[name](input_shapes, task, classes)


__all__ = ["MODELS", "build_model"]
