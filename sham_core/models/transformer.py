"""vit_mini: a small vision transformer for 8x8 digits, beyond the study's models.

Patches of 2x2 pixels become 16 tokens (a Dense patch embedding), a learned position Embedding
is added, then one pre-norm transformer block (MultiHeadAttention, a two-Dense feed-forward) and a
softmax head. Its kernels are of three kinds: dense (patch embedding, attention's EinsumDense
projections, feed-forward, head), and embedding (positions). The two custom layers are registered
here: a process that loads the model imports this module (the workflow adds it to the experiment's
imports, see ``workflow.experiment_imports``).
"""
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="sham_core")
class Patches(layers.Layer):
    """(height, width, channels) images to (patches, patch * patch * channels) tokens; no weights."""

    def __init__(self, patch, **kwargs):
        super().__init__(**kwargs)
        self.patch = patch

    def call(self, images):
        _, height, width, channels = images.shape
        p = self.patch
        x = ops.reshape(images, (-1, height // p, p, width // p, p, channels))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, (height // p) * (width // p), p * p * channels))

    def compute_output_shape(self, input_shape):
        _, height, width, channels = input_shape
        return (input_shape[0], (height // self.patch) * (width // self.patch), self.patch ** 2 * channels)

    def get_config(self):
        return {**super().get_config(), "patch": self.patch}


@keras.saving.register_keras_serializable(package="sham_core")
class AddPositions(layers.Layer):
    """Adds a learned Embedding of each token's position."""

    def __init__(self, steps, dim, **kwargs):
        super().__init__(**kwargs)
        self.steps, self.dim = steps, dim
        self.embedding = layers.Embedding(steps, dim, name="embedding")

    def build(self, input_shape):
        self.embedding.build((self.steps,))

    def call(self, tokens):
        return tokens + self.embedding(ops.arange(self.steps))

    def get_config(self):
        return {**super().get_config(), "steps": self.steps, "dim": self.dim}


def vit_mini(input_shapes, task, classes, dim=32, heads=4, patch=2):
    """The transformer for (height, width, channels) images divisible into ``patch`` x ``patch`` patches."""
    if task != "classification" or len(input_shapes) != 1 or len(input_shapes[0]) != 3:
        raise ValueError(f"vit_mini is a classifier with one (height, width, channels) image input; "
                         f"got task {task!r} and input shapes {input_shapes}")
    height, width, _ = input_shapes[0]
    if height % patch or width % patch:
        raise ValueError(f"vit_mini cuts images into {patch}x{patch} patches; {height}x{width} does not divide")
    x = keras.Input(tuple(input_shapes[0]))
    tokens = layers.Dense(dim, name="patch_embedding")(Patches(patch, name="patches")(x))
    h = AddPositions((height // patch) * (width // patch), dim, name="positions")(tokens)
    a = layers.LayerNormalization(name="norm1")(h)
    h = h + layers.MultiHeadAttention(heads, dim // heads, name="attention")(a, a)
    f = layers.Dense(2 * dim, activation="gelu", name="ffn_up")(layers.LayerNormalization(name="norm2")(h))
    h = h + layers.Dense(dim, name="ffn_down")(f)
    h = layers.GlobalAveragePooling1D(name="pool")(layers.LayerNormalization(name="norm3")(h))
    return keras.Model(x, layers.Dense(classes, activation="softmax", name="predictions")(h), name="vit_mini")
