"""DeepDTA (Öztürk et al. 2018) as the study builds it: drug-target affinity from SMILES and protein codes."""
import keras

SMILES_ALPHABET, PROTEIN_ALPHABET = 64, 25  # label codes 1..64 and 1..25; 0 is padding
FILTERS = (32, 64, 96)


def deepdta(input_shapes, task, classes):
    """Two int32 inputs (SMILES codes (L_d,), protein codes (L_p,)), two Conv1D branches, a Dense head, one output.

    ``classes`` is unused: DeepDTA regresses the affinity.
    """
    if task != "regression":
        raise ValueError(f"deepdta predicts an affinity: use it with a regression dataset, not {task!r}")
    if len(input_shapes) != 2 or any(len(shape) != 1 for shape in input_shapes):
        raise ValueError(f"deepdta needs two sequence inputs, (SMILES length,) and (protein length,); "
                         f"got input shapes {input_shapes}")
    drug = keras.Input(tuple(input_shapes[0]), dtype="int32", name="smiles")
    protein = keras.Input(tuple(input_shapes[1]), dtype="int32", name="protein")
    h = keras.layers.Concatenate(name="concatenate")([_branch(drug, "smiles", SMILES_ALPHABET + 1, 12),
                                                      _branch(protein, "protein", PROTEIN_ALPHABET + 1, 8)])
    for i, units in enumerate((1024, 1024, 512), start=1):
        h = keras.layers.Dense(units, activation="relu", name=f"fc{i}")(h)
        if i < 3:
            h = keras.layers.Dropout(0.1, name=f"fc{i}_dropout")(h)
    out = keras.layers.Dense(1, kernel_initializer="normal", name="affinity")(h)
    return keras.Model([drug, protein], out, name="deepdta")


def _branch(codes, name, vocabulary, kernel):
    """Embedding(vocabulary, 128), three valid ReLU Conv1D of 32, 64, 96 filters, global max pool."""
    h = keras.layers.Embedding(vocabulary, 128, name=f"{name}_embedding")(codes)
    for i, filters in enumerate(FILTERS, start=1):
        h = keras.layers.Conv1D(filters, kernel, activation="relu", name=f"{name}_conv{i}")(h)
    return keras.layers.GlobalMaxPooling1D(name=f"{name}_pool")(h)
