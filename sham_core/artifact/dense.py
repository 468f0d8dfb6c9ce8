"""A Dense layer run from its encodings: the kernel applied with the format's matmul, never decoded."""
import keras
from keras import ops


class EncodedDense(keras.layers.Layer):
    """A Dense layer whose kernel (or slr's us, v in turn) is applied with enc.matmul, never decoded."""

    def __init__(self, encodings, bias, activation, **kwargs):
        super().__init__(**kwargs)
        self.encodings = list(encodings)
        self.bias_values = bias
        self.activation = keras.activations.get(activation)
        self.units = self.encodings[-1].shape[1]

    def call(self, inputs):
        x = ops.convert_to_numpy(inputs)
        y = x.reshape(-1, x.shape[-1])
        for enc in self.encodings:
            y = enc.matmul(y)
        if self.bias_values is not None:
            y = y + self.bias_values
        return self.activation(ops.convert_to_tensor(y.reshape(x.shape[:-1] + (self.units,))))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)
