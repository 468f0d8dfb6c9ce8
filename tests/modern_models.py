"""The model families people train today, small (also run under other backends): a transformer with
MultiHeadAttention and embeddings, a custom transformer block, an EinsumDense stack, a CNN with depthwise,
separable and transposed convolutions, LSTM/GRU/SimpleRNN, and TimeDistributed / Bidirectional wrappers.

``python modern_models.py`` compresses each with layers="all", retrains, saves, loads and checks the
predictions (any backend); the pytest file runs it in-process and under torch.
"""
import sys
import tempfile
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from sham_core.artifact import load, save
from sham_core.compression import compress

TOKENS, STEPS = 20, 6


def compiled(model):
    """``model`` compiled as a 3-class classifier on logits."""
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


@keras.saving.register_keras_serializable(package="sham_modern")
class TransformerBlock(layers.Layer):
    """A custom pre-norm transformer block: self-attention and a two-Dense feed-forward, each residual."""

    def __init__(self, dim, heads, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.heads = dim, heads
        self.attention = layers.MultiHeadAttention(heads, dim // heads, name="attention")
        self.up, self.down = layers.Dense(2 * dim, activation="gelu", name="up"), layers.Dense(dim, name="down")
        self.norm1, self.norm2 = layers.LayerNormalization(), layers.LayerNormalization()

    def build(self, input_shape):
        self.norm1.build(input_shape)
        self.norm2.build(input_shape)
        self.attention.build(input_shape, input_shape)
        self.up.build(input_shape)
        self.down.build((*input_shape[:-1], 2 * self.dim))

    def call(self, x):
        h = self.norm1(x)
        x = x + self.attention(h, h)
        return x + self.down(self.up(self.norm2(x)))

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "heads": self.heads}


@keras.saving.register_keras_serializable(package="sham_modern")
class AddPositions(layers.Layer):
    """Adds a learned embedding of each step's position (a custom layer holding an Embedding)."""

    def __init__(self, steps, dim, **kwargs):
        super().__init__(**kwargs)
        self.steps, self.dim = steps, dim
        self.embedding = layers.Embedding(steps, dim)

    def build(self, input_shape):
        self.embedding.build((self.steps,))

    def call(self, x):
        return x + self.embedding(ops.arange(ops.shape(x)[1]))

    def get_config(self):
        return {**super().get_config(), "steps": self.steps, "dim": self.dim}


def _tokens():
    return keras.Input((STEPS,), dtype="int32")


def _positions(x, dim):
    """Token embeddings plus learned position embeddings."""
    return AddPositions(STEPS, dim, name="position")(layers.Embedding(TOKENS, dim, name="token")(x))


def transformer(seed=0):
    """Embeddings, MultiHeadAttention and a feed-forward, pooled into a Dense head."""
    keras.utils.set_random_seed(seed)
    x = _tokens()
    h = _positions(x, 16)
    h = layers.LayerNormalization()(h + layers.MultiHeadAttention(2, 8, name="attention")(h, h))
    h = layers.LayerNormalization()(h + layers.Dense(16)(layers.Dense(32, activation="gelu")(h)))
    return compiled(keras.Model(x, layers.Dense(3)(layers.GlobalAveragePooling1D()(h))))


def custom_transformer(seed=0):
    """Two custom TransformerBlocks over token embeddings."""
    keras.utils.set_random_seed(seed)
    x = _tokens()
    h = layers.Embedding(TOKENS, 16, name="token")(x)
    h = TransformerBlock(16, 2, name="block2")(TransformerBlock(16, 2, name="block1")(h))
    return compiled(keras.Model(x, layers.Dense(3)(layers.GlobalAveragePooling1D()(h))))


def einsum_stack(seed=0):
    """EinsumDense layers whose kernels have two and three axes."""
    keras.utils.set_random_seed(seed)
    x = keras.Input((STEPS, 8))
    h = layers.EinsumDense("abc,cde->abde", (STEPS, 2, 6), bias_axes="de", activation="relu")(x)
    h = layers.EinsumDense("abde,deg->abg", (STEPS, 10), bias_axes="g", activation="relu")(h)
    h = layers.EinsumDense("abg,gh->abh", (STEPS, 8))(h)
    return compiled(keras.Model(x, layers.Dense(3)(layers.Flatten()(h))))


def modern_cnn(seed=0):
    """Depthwise, separable and transposed convolutions (1-D and 2-D)."""
    keras.utils.set_random_seed(seed)
    x = keras.Input((8, 8, 3))
    h = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    h = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu")(h)
    h = layers.SeparableConv2D(12, 3, padding="same", activation="relu")(h)
    h = layers.Conv2DTranspose(6, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Reshape((16 * 16, 6))(h)
    h = layers.SeparableConv1D(8, 3, strides=4, activation="relu")(h)
    h = layers.DepthwiseConv1D(3, activation="relu")(h)
    return compiled(keras.Model(x, layers.Dense(3)(layers.GlobalAveragePooling1D()(h))))


def recurrent(seed=0):
    """LSTM, GRU and SimpleRNN in turn."""
    keras.utils.set_random_seed(seed)
    x = keras.Input((STEPS, 4))
    h = layers.LSTM(12, return_sequences=True)(x)
    h = layers.GRU(10, return_sequences=True)(h)
    h = layers.SimpleRNN(8)(h)
    return compiled(keras.Model(x, layers.Dense(3)(h)))


def wrappers(seed=0):
    """A Bidirectional LSTM and a TimeDistributed Dense over token embeddings."""
    keras.utils.set_random_seed(seed)
    x = _tokens()
    h = layers.Embedding(TOKENS, 8)(x)
    h = layers.Bidirectional(layers.LSTM(6, return_sequences=True, name="lstm"), name="bi")(h)
    h = layers.TimeDistributed(layers.Dense(5, activation="relu", name="proj"), name="td")(h)
    return compiled(keras.Model(x, layers.Dense(3)(layers.Flatten()(h))))


FAMILIES = {"transformer": transformer, "custom_transformer": custom_transformer, "einsum_stack": einsum_stack,
            "modern_cnn": modern_cnn, "recurrent": recurrent, "wrappers": wrappers}


def data(model, n=48, seed=0):
    """(inputs, labels) that fit ``model``'s one input: token ids or floats; labels from the inputs."""
    rng = np.random.default_rng(seed)
    spec = model.inputs[0]
    if "int" in str(spec.dtype):
        x = rng.integers(0, TOKENS, (n, *spec.shape[1:])).astype("int32")
    else:
        x = rng.random((n, *spec.shape[1:]), dtype=np.float32)
    mean = x.reshape(n, -1).mean(axis=1)
    return x, np.digitize(mean, np.quantile(mean, [1 / 3, 2 / 3])).astype(np.int64)


def round_trip(name, folder, method="pr_uq", params=None, epochs=1):
    """Compress family ``name`` with layers="all", retrain, save and load; return (result, expected, loaded)."""
    model = FAMILIES[name]()
    x, y = data(model)
    res = compress(model, method, "all", params or {"p": 50, "k": 8}, train=(x, y), test=(x, y), epochs=epochs,
                   batch_size=16)
    path = Path(folder) / f"{name}.sham"
    save(res, path)
    return res, ops.convert_to_numpy(res.model(x, training=False)), load(path).predict(x)


def main():
    with tempfile.TemporaryDirectory() as folder:
        for name in FAMILIES:
            res, expected, loaded = round_trip(name, folder)
            np.testing.assert_allclose(loaded, expected, atol=1e-4)
            assert res.coverage["kernel_fraction"] >= 0.95, (name, res.coverage)
            print(f"{keras.backend.backend()} {name}: {res.coverage['kernel_fraction']:.3f} of kernels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
