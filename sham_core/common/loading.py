"""Loading Keras models that use custom layers: import their modules first, and name a class Keras cannot find.

Keras finds a custom class only once the module that defines and registers it
(``@keras.saving.register_keras_serializable()``) has been imported in this process.
"""
import importlib
import re

CLI_OPTION = "--import MODULE"
CONFIG_OPTION = "the experiment's imports: [MODULE] in the config"
# Keras 3 (.keras) and its legacy .h5 loader word a missing class these ways.
_MISSING = re.compile(r"Could not (?:locate|deserialize) class '([^']+)'|Unknown (?:layer|object): '([^']+)'")


class MissingClassError(ValueError):
    """A model that uses a class no imported module defines."""


def import_modules(modules, option=CLI_OPTION):
    """Import each named module (their custom classes register themselves); ValueError naming one that fails."""
    for name in modules or ():
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise ValueError(f"cannot import {name!r} (named by {option}): {error}; install it, or put the folder "
                             f"that holds it on PYTHONPATH") from None


def missing_class(error):
    """The class name in Keras' error for a class it cannot find, else None."""
    found = _MISSING.search(str(error))
    return next(name for name in found.groups() if name) if found else None


def missing_class_message(path, name, option=CLI_OPTION):
    """What to do when ``path`` uses class ``name`` that no imported module defines."""
    return (f"{path}: the model uses the class {name!r}, which Keras cannot find; import the module that defines "
            f"and registers it (@keras.saving.register_keras_serializable()) with {option}")


def load_model(path, imports=(), option=CLI_OPTION, **kwargs):
    """keras.saving.load_model(path, **kwargs) after importing ``imports``; MissingClassError naming a missing class."""
    import keras
    import_modules(imports, option)
    try:
        return keras.saving.load_model(path, **kwargs)
    except (TypeError, ValueError) as error:
        name = missing_class(error)
        if name is None:
            raise
        raise MissingClassError(missing_class_message(path, name, option)) from None
