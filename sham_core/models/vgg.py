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
