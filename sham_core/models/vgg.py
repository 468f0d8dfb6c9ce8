"""VGG-style CNNs: conv blocks with BatchNorm and max pooling, two hidden Dense layers, output."""
import keras


def vgg(input_shape, classes, blocks, dense_units, dropout, name):
    """Blocks of (filters, convs); then Dense(dense_units) twice with dropout, then softmax."""
    layers = [keras.Input(tuple(input_shape))]
    for b, (filters, convs) in enumerate(blocks, start=1):
        for c in range(1, convs + 1):
            layers.append(keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                              name=f"block{b}_conv{c}"))
        layers += [keras.layers.BatchNormalization(name=f"block{b}_bn"),
                   keras.layers.MaxPooling2D(name=f"block{b}_pool")]
    layers.append(keras.layers.Flatten(name="flatten"))
    for i in (1, 2):
        layers += [keras.layers.Dense(dense_units, activation="relu", name=f"fc{i}"),
                   keras.layers.Dropout(dropout, name=f"dropout{i}")]
    layers.append(keras.layers.Dense(classes, activation="softmax", name="predictions"))
    return keras.Sequential(layers, name=name)


def vgg_mini(input_shapes, task, classes):
    """VGG19's structure scaled down for 8x8 digits: 2 blocks of 2 convs, two Dense of 256."""
    if task != "classification" or len(input_shapes) != 1:
        raise ValueError("vgg_mini is a classifier with one image input")
    return vgg(input_shapes[0], classes, blocks=((32, 2), (64, 2)), dense_units=256, dropout=0.3,
               name="vgg_mini")


VGG19_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))


def vgg19(input_shapes, task, classes):
    """The study's VGG19 for CIFAR (32x32x3) and MNIST (28x28x1): BN after every conv and Dense layer.

    Pools use 'same' padding, so 28x28 input shrinks 28-14-7-4-2-1 (identical to 'valid' on 32x32).
    """
    if task != "classification" or len(input_shapes) != 1 or len(input_shapes[0]) != 3:
        raise ValueError(f"vgg19 is a classifier with one (height, width, channels) image input; "
                         f"got task {task!r} and input shapes {input_shapes}")
    layers = [keras.Input(tuple(input_shapes[0]))]
    for b, (filters, convs) in enumerate(VGG19_BLOCKS, start=1):
        for c in range(1, convs + 1):
            conv = keras.layers.Conv2D(filters, 3, padding="same", name=f"block{b}_conv{c}", **_vgg19_init())
            layers += _bn_activation(conv, f"block{b}_conv{c}", "relu")
        layers.append(keras.layers.MaxPooling2D(padding="same", name=f"block{b}_pool"))
    layers.append(keras.layers.Flatten(name="flatten"))
    for i in (1, 2):
        layers += _bn_activation(keras.layers.Dense(4096, name=f"fc{i}", **_vgg19_init()), f"fc{i}", "relu")
        layers.append(keras.layers.Dropout(0.5, name=f"fc{i}_dropout"))
    layers += _bn_activation(keras.layers.Dense(classes, name="predictions", **_vgg19_init()),
                             "predictions", "softmax")
    return keras.Sequential(layers, name="vgg19")


def _vgg19_init():
    """The study's kernel settings for every VGG19 conv and Dense layer: he_normal, L2 1e-4."""
    return {"kernel_initializer": "he_normal", "kernel_regularizer": keras.regularizers.L2(1e-4)}


def _bn_activation(layer, name, activation):
    """``layer`` followed by BatchNorm and ``activation``, named after it."""
    return [layer, keras.layers.BatchNormalization(name=f"{name}_bn"),
            keras.layers.Activation(activation, name=f"{name}_{activation}")]
