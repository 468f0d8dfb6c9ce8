"""DAVIS and KIBA in the DeepDTA benchmark layout, label-encoded and split as DeepDTA does (setting 1).

The files: ``Y`` (a Python 2 pickle of the ligands x proteins affinity matrix, NaN where nothing
was measured), ``ligands_can.txt`` and ``proteins.txt`` (JSON objects, id -> SMILES or sequence,
in Y's row and column order), and ``folds/{test,train}_fold_setting1.txt`` (indices into the
row-major list of measured pairs; the train file holds 5 folds).
"""
import json
import os
import pickle

import numpy as np

# DeepDTA's label encodings (CHARISOSMISET and CHARPROTSET in its datahelper) in code order:
# the character at position i has code i + 1, and 0 is padding.
SMILES_ALPHABET = "(.02468@BDFHLNPRTVZ\\bdfhlnrt#%)+-/13579=ACEGIKMOSUWY[]acegimosuy"
PROTEIN_ALPHABET = "ACBEDGFIHKMLONQPSRUTWVYXZ"
LENGTHS = {"davis": (85, 1200), "kiba": (100, 1000)}  # (SMILES, protein) after padding or cutting


def load_davis(raw_dir):
    """((x_train, y_train), (x_test, y_test)) of DAVIS, with Kd (nM) turned into pKd = -log10(Kd / 1e9)."""
    return _load(raw_dir, *LENGTHS["davis"], pkd=True)


def load_kiba(raw_dir):
    """((x_train, y_train), (x_test, y_test)) of KIBA, with the KIBA scores as they are."""
    return _load(raw_dir, *LENGTHS["kiba"], pkd=False)


def encode(sequences, alphabet, length):
    """Label-encode {id: text} by ``alphabet`` (codes 1.., 0 pads), cut or padded to ``length``: (N, length) int32."""
    code_of = {char: code for code, char in enumerate(alphabet, 1)}
    codes = np.zeros((len(sequences), length), dtype=np.int32)
    for row, (name, text) in enumerate(sequences.items()):
        unknown = sorted(set(text[:length]) - set(code_of))
        if unknown:
            raise ValueError(f"sequence {name!r} has characters outside the alphabet {alphabet!r}: {unknown}")
        codes[row, :len(text[:length])] = [code_of[char] for char in text[:length]]
    return codes


def labelled_pairs(affinity):
    """(rows, columns) of the measured entries of ``affinity`` in row-major order, which the folds index."""
    return np.nonzero(~np.isnan(affinity))


def _load(raw_dir, smiles_length, protein_length, pkd):
    """Train on the union of the 5 train folds, test on the test fold; x = [drug codes, protein codes], y float32."""
    affinity, ligands, proteins = _read_matrix(raw_dir)
    if pkd:
        affinity = -np.log10(affinity / 1e9)
    drugs = encode(ligands, SMILES_ALPHABET, smiles_length)
    targets = encode(proteins, PROTEIN_ALPHABET, protein_length)
    rows, columns = labelled_pairs(affinity)
    train = np.concatenate(_read_json(raw_dir, "folds/train_fold_setting1.txt")).astype(np.int64)
    test = np.asarray(_read_json(raw_dir, "folds/test_fold_setting1.txt"), dtype=np.int64)
    return tuple(_pairs(drugs, targets, affinity, rows[fold], columns[fold]) for fold in (train, test))


def _pairs(drugs, targets, affinity, rows, columns):
    """([drug codes, protein codes], affinities as float32) of the (row, column) pairs given."""
    return [drugs[rows], targets[columns]], affinity[rows, columns].astype(np.float32)


def _read_matrix(raw_dir):
    """(affinity matrix, {ligand id: SMILES}, {protein id: sequence}), checked to agree in shape."""
    with open(os.path.join(raw_dir, "Y"), "rb") as f:
        affinity = np.asarray(pickle.load(f, encoding="latin1"), dtype=np.float64)  # pickled under Python 2
    ligands, proteins = _read_json(raw_dir, "ligands_can.txt"), _read_json(raw_dir, "proteins.txt")
    if affinity.shape != (len(ligands), len(proteins)):
        raise ValueError(f"{os.path.join(raw_dir, 'Y')} is {affinity.shape[0]} x {affinity.shape[1]}, but "
                         f"ligands_can.txt has {len(ligands)} ligands and proteins.txt {len(proteins)} proteins")
    return affinity, ligands, proteins


def _read_json(raw_dir, path):
    """A JSON file of the benchmark (objects keep the file's key order, which is Y's order)."""
    with open(os.path.join(raw_dir, *path.split("/"))) as f:
        return json.load(f)
