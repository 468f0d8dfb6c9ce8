"""Small Keras models of the shapes people bring (also run under other backends): Sequential, functional
with named or unnamed inputs, nested, with a custom layer, with LSTM and attention."""
import keras
import numpy as np


@keras.saving.register_keras_serializable(package="sham_tests")
class Block(keras.layers.Layer):
    """A custom layer holding its own Dense: x + relu(dense(x))."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, activation="relu")

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, x):
        return x + self.dense(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def compiled(model):
    """``model`` compiled as a 3-class classifier on logits."""
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def sequential(seed=0):
    """Sequential, every layer unnamed."""
    keras.utils.set_random_seed(seed)
    return compiled(keras.Sequential([keras.Input((6,)), keras.layers.Dense(12, activation="relu"),
                                      keras.layers.Dense(3)]))


def functional(input_name=None, seed=0):
    """Functional with one input, unnamed unless ``input_name``; its layers unnamed."""
    keras.utils.set_random_seed(seed)
    x = keras.Input((6,), name=input_name)
    h = keras.layers.Dense(12, activation="relu")(x)
    return compiled(keras.Model(x, keras.layers.Dense(3)(h)))


def two_inputs(names=(None, "right"), seed=0):
    """Functional with two inputs, named as ``names`` (None: unnamed)."""
    keras.utils.set_random_seed(seed)
    left, right = keras.Input((6,), name=names[0]), keras.Input((6,), name=names[1])
    h = keras.layers.Concatenate()([keras.layers.Dense(8, activation="relu")(left),
                                    keras.layers.Dense(8, activation="relu")(right)])
    return compiled(keras.Model([left, right], keras.layers.Dense(3)(h)))


def nested(seed=0):
    """Functional holding a Sequential and a functional model with an unnamed input."""
    keras.utils.set_random_seed(seed)
    block = keras.Sequential([keras.layers.Dense(12, activation="relu"), keras.layers.Dense(8, activation="relu")])
    inner_x = keras.Input((8,))
    inner = keras.Model(inner_x, keras.layers.Dense(8, activation="relu")(inner_x))
    x = keras.Input((6,))
    return compiled(keras.Model(x, keras.layers.Dense(3)(inner(block(x)))))


def custom(seed=0):
    """Functional with the custom Block (its Dense inside) between two Dense."""
    keras.utils.set_random_seed(seed)
    x = keras.Input((6,))
    h = Block(12, name="block")(keras.layers.Dense(12, activation="relu")(x))
    return compiled(keras.Model(x, keras.layers.Dense(3)(h)))


def lstm_attention(seed=0):
    """LSTM then self-attention over 5 steps of 4 features, pooled into a Dense head."""
    keras.utils.set_random_seed(seed)
    x = keras.Input((5, 4))
    h = keras.layers.LSTM(8, return_sequences=True, name="lstm")(x)
    h = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, name="attention")(h, h)
    h = keras.layers.Dense(8, activation="relu", name="head")(keras.layers.GlobalAveragePooling1D()(h))
    return compiled(keras.Model(x, keras.layers.Dense(3, name="out")(h)))


def data(model, n=48, seed=0):
    """(inputs, labels) that fit ``model``'s inputs: labels from the inputs' mean."""
    rng = np.random.default_rng(seed)
    inputs = [rng.random((n, *tensor.shape[1:]), dtype=np.float32) for tensor in model.inputs]
    mean = np.mean([part.reshape(n, -1).mean(axis=1) for part in inputs], axis=0)
    labels = np.digitize(mean, np.quantile(mean, [1 / 3, 2 / 3])).astype(np.int64)
    return (inputs if len(inputs) > 1 else inputs[0]), labels


MODELS = {"sequential": sequential, "functional_unnamed_input": functional, "nested": nested, "custom": custom}
