"""DeepDTA (Öztürk et al. 2018) as the study builds it: drug-target affinity from SMILES and protein codes."""
import keras

SMILES_ALPHABET, PROTEIN_ALPHABET = 64, 25  # label codes 1..64 and 1..25; 0 is padding
EMBEDDING, FILTERS, UNITS = 128, (32, 64, 96), (1024, 1024, 512)
MINI = 16, (4, 8, 12), (64, 64, 32)  # deepdta_mini's


def deepdta(input_shapes, task, classes, width=(EMBEDDING, FILTERS, UNITS), name="deepdta"):
    """Two int32 inputs (SMILES codes (L_d,), protein codes (L_p,)), two Conv1D branches, a Dense head, one output.

    ``classes`` is unused: DeepDTA regresses the affinity. width: (embedding size, the branches' filters,
    the Dense head's units).
    """
    if task != "regression":
        raise ValueError(f"{name} predicts an affinity: use it with a regression dataset, not {task!r}")
    if len(input_shapes) != 2 or any(len(shape) != 1 for shape in input_shapes):
        raise ValueError(f"{name} needs two sequence inputs, (SMILES length,) and (protein length,); "
                         f"got input shapes {input_shapes}")
    drug = keras.Input(tuple(input_shapes[0]), dtype="int32", name="smiles")
    protein = keras.Input(tuple(input_shapes[1]), dtype="int32", name="protein")
    embedding, filters, head = width
    h = keras.layers.Concatenate(name="concatenate")(
        [_branch(drug, "smiles", SMILES_ALPHABET + 1, 12, embedding, filters),
         _branch(protein, "protein", PROTEIN_ALPHABET + 1, 8, embedding, filters)])
    for i, units in enumerate(head, start=1):
        h = keras.layers.Dense(units, activation="relu", name=f"fc{i}")(h)
        if i < 3:
            h = keras.layers.Dropout(0.1, name=f"fc{i}_dropout")(h)
    out = keras.layers.Dense(1, kernel_initializer="normal", name="affinity")(h)
    return keras.Model([drug, protein], out, name=name)


def deepdta_mini(input_shapes, task, classes):
    """DeepDTA's inputs and layers at a small width (embedding 16, filters 4, 8, 12, Dense 64, 64, 32), for quick
    runs on the real DAVIS or KIBA data: it trains and encodes in seconds on a CPU (the torch workflow test)."""
    return deepdta(input_shapes, task, classes, MINI, "deepdta_mini")


def _branch(codes, name, vocabulary, kernel, embedding, filters):
    """Embedding(vocabulary, embedding), three valid ReLU Conv1D of ``filters`` (32, 64, 96), global max pool."""
    h = keras.layers.Embedding(vocabulary, embedding, name=f"{name}_embedding")(codes)
    for i, n in enumerate(filters, start=1):
        h = keras.layers.Conv1D(n, kernel, activation="relu", name=f"{name}_conv{i}")(h)
    return keras.layers.GlobalMaxPooling1D(name=f"{name}_pool")(h)
