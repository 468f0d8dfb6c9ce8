"""EinsumDense run from a stored matrix: the kernel's axes split into contracted and free ones.

For an equation like ``abc,cde->abde`` (attention's query projection) the kernel's axes are
either contracted (in the input, not the output: c) or free (in the output, not the input: d,
e). The kernel transposed to (contracted, free) and reshaped is then a matrix M, and the layer is
``x @ M`` with the input's contracted axes moved last and the free axes put back in the output's
order: the format's ``matmul`` computes it on the stored bytes. An equation whose kernel shares an
axis with both sides, or sums one away, does not split (``plan`` returns None): it decodes at load.
"""
from dataclasses import dataclass
from math import prod

import keras
import numpy as np
from keras import ops

_SPARE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # letters for the axes an ellipsis stands for


@dataclass(frozen=True)
class EinsumPlan:
    """How an EinsumDense equation maps its kernel to a matrix: kernel axes (contracted..., free...)."""

    equation: str
    permutation: tuple  # kernel axes in matrix order
    contracted: int  # how many of them are the matrix's rows

    def matrix(self, kernel):
        """The kernel as the (contracted, free) matrix."""
        moved = np.transpose(kernel, self.permutation)
        return moved.reshape(prod(moved.shape[:self.contracted]), -1)

    def kernel(self, matrix, shape):
        """The kernel of ``shape`` back from its matrix."""
        moved = np.reshape(matrix, [shape[axis] for axis in self.permutation])
        return np.transpose(moved, np.argsort(self.permutation))

    def apply(self, x, multiply, kernel_shape):
        """The layer's einsum of numpy ``x`` with the kernel, through ``multiply(rows) = rows @ matrix``."""
        inputs, kernel, output = _letters(self.equation, x.ndim)
        rows = [kernel[axis] for axis in self.permutation[:self.contracted]]
        free = [kernel[axis] for axis in self.permutation[self.contracted:]]
        kept = [letter for letter in inputs if letter not in rows]
        moved = np.transpose(x, [inputs.index(letter) for letter in kept + rows])
        product = multiply(moved.reshape(-1, prod(moved.shape[len(kept):])))
        sizes = [moved.shape[i] for i in range(len(kept))] + [kernel_shape[kernel.index(f)] for f in free]
        product = product.reshape(sizes)
        return np.transpose(product, [(kept + free).index(letter) for letter in output])


def plan(equation, kernel_ndim):
    """The EinsumPlan of an EinsumDense ``equation``, or None when its kernel's axes do not split."""
    try:
        inputs, kernel, output = _letters(equation, None)
    except ValueError:
        return None
    inputs, output = inputs.replace(".", ""), output.replace(".", "")
    if len(kernel) != kernel_ndim or len(set(kernel)) != len(kernel):
        return None
    rows = [axis for axis, letter in enumerate(kernel) if letter in inputs and letter not in output]
    free = [axis for axis, letter in enumerate(kernel) if letter in output and letter not in inputs]
    summed = [letter for letter in inputs if letter not in output and letter not in kernel]
    if len(rows) + len(free) != len(kernel) or summed or not rows or not free:
        return None
    return EinsumPlan(equation, tuple(rows + free), len(rows))


def _letters(equation, ndim):
    """(input, kernel, output) letters of ``equation``; with ``ndim``, an ellipsis spelled out for that rank."""
    sides, output = equation.replace(" ", "").split("->")
    inputs, kernel = sides.split(",")
    if ndim is not None and "..." in inputs:
        spare = _SPARE[:ndim - len(inputs.replace("...", ""))]
        inputs, output = inputs.replace("...", spare), output.replace("...", spare)
    if "..." in kernel:
        raise ValueError("an ellipsis in the kernel")
    return inputs, kernel, output


class EncodedEinsumDense(keras.layers.Layer):
    """An EinsumDense whose kernel is applied with the stored matrix's ``matmul``, never decoded."""

    def __init__(self, encodings, einsum_plan, kernel_shape, bias, activation, **kwargs):
        super().__init__(**kwargs)
        self.encodings, self.plan = list(encodings), einsum_plan
        self.kernel_shape, self.bias_values = tuple(kernel_shape), bias
        self.activation = keras.activations.get(activation)

    def _multiply(self, rows):
        for enc in self.encodings:
            rows = enc.matmul(rows)
        return rows

    def call(self, inputs):
        y = self.plan.apply(ops.convert_to_numpy(inputs), self._multiply, self.kernel_shape)
        if self.bias_values is not None:
            y = y + self.bias_values
        return self.activation(ops.convert_to_tensor(y))

    def compute_output_shape(self, input_shape):
        inputs, kernel, output = _letters(self.plan.equation, len(input_shape))
        sizes = {**dict(zip(inputs, input_shape)), **dict(zip(kernel, self.kernel_shape))}
        return tuple(sizes[letter] for letter in output)
