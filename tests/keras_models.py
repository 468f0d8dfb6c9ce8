"""Tiny Keras models and data for the compression tests (also run under other backends)."""
import keras
import numpy as np


def small_cnn(seed=0):
    """Sequential VGG-like CNN: conv + BatchNorm, Dense, Dropout, and a Dense without bias."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(6, 3, activation="relu", name="conv1"),
        keras.layers.BatchNormalization(name="bn1"),
        keras.layers.Conv2D(8, 3, activation="relu", name="conv2"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(24, activation="relu", name="fc1"),
        keras.layers.Dropout(0.2, name="drop"),
        keras.layers.Dense(3, use_bias=False, name="out"),
    ], name="small_cnn")
    model.compile(keras.optimizers.SGD(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def two_input_regressor(seed=0):
    """Functional DeepDTA-like model: two sequence inputs, Conv1D branches, Dense head, MSE."""
    keras.utils.set_random_seed(seed)
    drug, protein = keras.Input((12, 4), name="drug"), keras.Input((16, 4), name="protein")
    a = keras.layers.GlobalMaxPooling1D(name="pool_d")(keras.layers.Conv1D(8, 3, name="conv_d")(drug))
    b = keras.layers.GlobalMaxPooling1D(name="pool_p")(keras.layers.Conv1D(8, 5, name="conv_p")(protein))
    h = keras.layers.Dense(16, activation="relu", name="fc1")(keras.layers.Concatenate(name="cat")([a, b]))
    model = keras.Model([drug, protein], keras.layers.Dense(1, name="out")(h), name="two_input")
    model.compile("adam", "mse")
    return model


def classification_data(n=96, seed=0):
    """Random 8x8 images with labels a small CNN can partly fit."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8, 1), dtype=np.float32)
    brightness = x[:, :4].mean(axis=(1, 2, 3))
    y = np.digitize(brightness, np.quantile(brightness, [1 / 3, 2 / 3])).astype(np.int64)
    return x, y


def regression_data(n=64, seed=0):
    """Two random one-hot-ish sequences and a smooth target."""
    rng = np.random.default_rng(seed)
    drug = rng.random((n, 12, 4), dtype=np.float32)
    protein = rng.random((n, 16, 4), dtype=np.float32)
    y = (drug.mean(axis=(1, 2)) + protein.mean(axis=(1, 2)))[:, None].astype(np.float32)
    return [drug, protein], y


PARAMS = {
    "pr": {"p": 60}, "cws": {"k": 5}, "pws": {"k": 5}, "uq": {"k": 5}, "ecsq": {"k": 4},
    "pr_cws": {"p": 50, "k": 4}, "pr_pws": {"p": 50, "k": 4}, "pr_uq": {"p": 50, "k": 4},
    "pr_ecsq": {"p": 50, "k": 3}, "slr": {"q": 3, "sr": 0.5, "rr": 0.5},
}


def diabetes_model_file(folder, seed=0):
    """Your own model and data: sklearn's diabetes (unscaled targets, 25-346) as an npz, and a
    Dense regressor trained on it with Adam, saved as .keras. Returns (npz path, model path).

    The workflow's old default retraining (SGD, lr 1e-3, momentum 0.9) collapses this model to
    constant outputs in one epoch.
    """
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True)
    x, y = x.astype(np.float32), y.astype(np.float32)[:, None]
    order = np.random.default_rng(seed).permutation(len(y))
    train, test = order[:332], order[332:]
    np.savez(folder / "diabetes.npz", x_train=x[train], y_train=y[train], x_test=x[test], y_test=y[test])
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(64, activation="relu", name="h1"),
                              keras.layers.Dense(64, activation="relu", name="h2"), keras.layers.Dense(1, name="out")])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(x[train], y[train], epochs=100, batch_size=32, verbose=0)
    model.save(folder / "diabetes.keras")
    return folder / "diabetes.npz", folder / "diabetes.keras"
