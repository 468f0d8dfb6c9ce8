"""Dataset loaders and prepare(): small archives in the real formats, and the real DAVIS and KIBA files.

The real-file tests read the shared datasets folder (``shared_mirror()``); they skip when it is
absent, unless the comma-separated SHAM_REQUIRE names "shared".
"""
import io
import json
import pickle
import tarfile

import numpy as np
import pytest

from requirements import shared_or_skip
from sham_core.data import SOURCES, load_split, prepare
from sham_core.data.cifar import CIFAR10_MEAN, load_cifar10, load_cifar100
from sham_core.data.deepdta import (LENGTHS, PROTEIN_ALPHABET, SMILES_ALPHABET, encode, labelled_pairs, load_davis,
                                    load_kiba)
from sham_core.data.fetch import DATASETS_WITH_DOWNLOADS, shared_mirror
from sham_core.data.mnist import load_mnist

RNG = np.random.default_rng(0)





def write_tarball(path, folder, batches):
    """A CIFAR python tarball: each batch pickled (bytes keys, protocol 2) as ``folder/name``."""
    with tarfile.open(path, "w:gz") as tar:
        for name, batch in batches.items():
            data = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def cifar_batch(n, label_key, classes):
    return {b"batch_label": b"test", b"data": RNG.integers(0, 256, (n, 3072), dtype=np.uint8),
            label_key: RNG.integers(0, classes, n).tolist(), b"filenames": [b"x.png"] * n}


@pytest.fixture
def mnist_dir(tmp_path):
    arrays = {"x_train": RNG.integers(0, 256, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8), "y_test": np.arange(3, dtype=np.uint8)}
    np.savez(tmp_path / "mnist.npz", **arrays)
    return tmp_path, arrays


@pytest.fixture
def toy_deepdta(tmp_path):
    """A 3-ligand x 4-protein benchmark in the DeepDTA layout (Kd in nM, NaN where unmeasured)."""
    y = np.array([[1000.0, np.nan, 10.0, 10000.0], [np.nan, 1.0, np.nan, 100.0], [0.1, np.nan, np.nan, 1000.0]])
    (tmp_path / "folds").mkdir()
    (tmp_path / "Y").write_bytes(pickle.dumps(y, protocol=2))
    (tmp_path / "ligands_can.txt").write_text(json.dumps({"d0": "CC(=O)O", "d1": "c1ccccc1", "d2": "C" * 90}))
    (tmp_path / "proteins.txt").write_text(json.dumps({"p0": "MKV", "p1": "ACDE", "p2": "W" * 1300, "p3": "XZ"}))
    (tmp_path / "folds" / "test_fold_setting1.txt").write_text(json.dumps([6, 1]))
    (tmp_path / "folds" / "train_fold_setting1.txt").write_text(json.dumps([[0, 2], [3], [4, 5], [], []]))
    return tmp_path, y


def test_every_download_has_a_source():
    assert set(DATASETS_WITH_DOWNLOADS) <= set(SOURCES)


def test_mnist_scaled_to_unit_range(mnist_dir):
    raw_dir, arrays = mnist_dir
    (x_train, y_train), (x_test, y_test) = load_mnist(raw_dir)
    assert x_train.shape == (6, 28, 28, 1) and x_test.shape == (3, 28, 28, 1)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    np.testing.assert_allclose(x_train[..., 0], arrays["x_train"] / 255.0, rtol=1e-6)
    assert 0.0 <= x_test.min() and x_test.max() <= 1.0
    np.testing.assert_array_equal(y_test, [0, 1, 2])


def test_cifar10_channel_layout_and_mean_subtraction(tmp_path):
    batches = {f"data_batch_{i}": cifar_batch(2, b"labels", 10) for i in range(1, 6)}
    batches["test_batch"] = cifar_batch(3, b"labels", 10)
    write_tarball(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", batches)
    (x_train, y_train), (x_test, y_test) = load_cifar10(tmp_path)
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    raw = batches["data_batch_2"][b"data"][1]  # the 4th training image, channel-major
    for channel, mean in enumerate(CIFAR10_MEAN):
        np.testing.assert_allclose(x_train[3, 5, 7, channel], raw[channel * 1024 + 5 * 32 + 7] - mean, rtol=1e-6)
    np.testing.assert_array_equal(y_train, sum((batches[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), []))
    np.testing.assert_array_equal(y_test, batches["test_batch"][b"labels"])


def test_cifar100_standardised_by_training_set(tmp_path):
    batches = {"train": cifar_batch(8, b"fine_labels", 100), "test": cifar_batch(4, b"fine_labels", 100)}
    for batch in batches.values():
        batch[b"coarse_labels"] = [0] * len(batch[b"fine_labels"])
    write_tarball(tmp_path / "cifar-100-python.tar.gz", "cifar-100-python", batches)
    (x_train, y_train), (x_test, y_test) = load_cifar100(tmp_path)
    assert x_train.shape == (8, 32, 32, 3) and x_test.dtype == np.float32
    assert abs(x_train.mean()) < 1e-5 and abs(x_train.std() - 1.0) < 1e-5
    train = batches["train"][b"data"].astype(np.float64)
    test = batches["test"][b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    np.testing.assert_allclose(x_test, (test - train.mean()) / (train.std() + 1e-7), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(y_train, batches["train"][b"fine_labels"])


def test_cifar_tarball_without_a_batch_is_refused(tmp_path):
    write_tarball(tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py", {"data_batch_1": {}})
    with pytest.raises(ValueError, match="lacks cifar-10-batches-py/data_batch_2, .*test_batch"):
        load_cifar10(tmp_path)


def test_deepdta_alphabets_are_deepdtas():
    assert len(SMILES_ALPHABET) == len(set(SMILES_ALPHABET)) == 64
    assert len(PROTEIN_ALPHABET) == len(set(PROTEIN_ALPHABET)) == 25
    smiles_codes = {char: code for code, char in enumerate(SMILES_ALPHABET, 1)}
    assert {c: smiles_codes[c] for c in "(.@\\t#=C[]cy"} == {
        "(": 1, ".": 2, "@": 8, "\\": 20, "t": 28, "#": 29, "=": 40, "C": 42, "[": 53, "]": 54, "c": 56, "y": 64}
    # DeepDTA's CHARISOSMISET numbers the even code points first, then the odd ones, each in ASCII order.
    even, odd = SMILES_ALPHABET[:28], SMILES_ALPHABET[28:]
    assert list(even) == sorted(even) and all(ord(c) % 2 == 0 for c in even)
    assert list(odd) == sorted(odd) and all(ord(c) % 2 == 1 for c in odd)
    assert {c: PROTEIN_ALPHABET.index(c) + 1 for c in "ACBKXZ"} == {"A": 1, "C": 2, "B": 3, "K": 10, "X": 24, "Z": 25}


def test_encode_pads_cuts_and_refuses_unknown_characters():
    codes = encode({"short": "CC", "long": "C" * 7}, SMILES_ALPHABET, 5)
    np.testing.assert_array_equal(codes, [[42, 42, 0, 0, 0], [42] * 5])
    assert codes.dtype == np.int32
    with pytest.raises(ValueError, match="'bad' has characters outside the alphabet .*'J'"):
        encode({"bad": "ACJ"}, PROTEIN_ALPHABET, 10)


def test_deepdta_split_and_pkd_on_a_toy_benchmark(toy_deepdta):
    raw_dir, y = toy_deepdta
    rows, columns = labelled_pairs(y)  # row-major: (0,0) (0,2) (0,3) (1,1) (1,3) (2,0) (2,3)
    assert list(zip(rows.tolist(), columns.tolist()))[5] == (2, 0)
    (x_train, y_train), (x_test, y_test) = load_davis(raw_dir)
    assert [x.shape for x in x_train] == [(5, 85), (5, 1200)] and x_train[0].dtype == np.int32
    np.testing.assert_allclose(y_train, [6.0, 5.0, 9.0, 7.0, 10.0], rtol=1e-6)  # pairs 0, 2, 3, 4, 5
    np.testing.assert_allclose(y_test, [6.0, 8.0], rtol=1e-6)  # pairs 6, 1
    assert y_train.dtype == np.float32
    np.testing.assert_array_equal(x_train[1][0][:4], [11, 10, 22, 0])  # pair 0: protein p0, "MKV", padded
    assert (x_test[0][0] == 42).all()  # pair 6: drug d2, 90 carbons cut to 85
    assert (x_test[1][1] == 21).all()  # pair 1: protein p2, 1,300 W cut to 1,200
    (_, y_kiba), _ = load_kiba(raw_dir)
    np.testing.assert_allclose(y_kiba, y[rows[[0, 2, 3, 4, 5]], columns[[0, 2, 3, 4, 5]]])


def test_prepare_a_downloaded_source(mnist_dir, tmp_path):
    meta = prepare("mnist", {"source": "mnist"}, tmp_path / "out", seed=1, raw_dir=mnist_dir[0])
    assert meta["input_shapes"] == [[28, 28, 1]] and meta["n_train"] == 6 and meta["task"] == "classification"
    x_test, _ = load_split(tmp_path / "out" / "data.npz", "test")
    assert x_test.shape == (3, 28, 28, 1)


def test_prepare_needs_raw_dir_for_downloaded_sources(tmp_path):
    with pytest.raises(ValueError, match="'davis' reads downloaded files: pass raw_dir"):
        prepare("davis", {"source": "davis"}, tmp_path, seed=0)


def npz_arrays(**changes):
    """A valid small npz dataset's arrays (3 classes), with some replaced."""
    arrays = {"x_train": RNG.random((8, 3)), "y_train": np.arange(8) % 3,
              "x_test": RNG.random((4, 3)), "y_test": np.arange(4) % 3}
    return {**arrays, **changes}


def with_nan(array, row):
    array = array.astype(np.float64)
    array[row] = np.nan
    return array


@pytest.mark.parametrize("changes,task,message", [
    ({"x_train": with_nan(RNG.random((8, 3)), 2)}, "classification",
     r"dataset mine \(.*mine\.npz\): x_train holds 3 NaN and 0 infinite value\(s\), the first in row 2"),
    ({"y_test": np.array([1.0, np.inf, 2.0, 3.0])}, "regression",
     r"mine\.npz\): y_test holds 0 NaN and 1 infinite value\(s\), the first in row 1"),
    ({"y_train": with_nan(np.arange(8.0), 5)}, "regression", r"mine\.npz\): y_train holds 1 NaN"),
    ({"y_train": np.arange(7) % 3}, "classification", r"mine\.npz\): x_train has 8 rows but y_train has 7"),
    ({"y_train": np.arange(8) - 1}, "classification", r"mine\.npz\): classification labels y_train include -1"),
    ({"y_test": np.array([0.5, 1.0, 2.0, 0.0])}, "classification",
     r"y_test are float64, not class indices; values such as 0.5 are not whole numbers"),
    ({"y_test": np.array([0.0, 1.0, 2.0, 0.0])}, "classification", r"y_test are float64.*store them as integers"),
    ({"x_test": np.array(list("abcd"))}, "regression", r"mine\.npz\): x_test holds <U1 values, not numbers"),
])
def test_prepare_refuses_bad_npz_arrays_naming_the_file_and_the_array(tmp_path, changes, task, message):
    np.savez(tmp_path / "mine.npz", **npz_arrays(**changes))
    with pytest.raises(ValueError, match=message):
        prepare("mine", {"source": "npz", "path": str(tmp_path / "mine.npz"), "task": task}, tmp_path / "out", seed=0)
    assert not (tmp_path / "out" / "data.npz").exists()


def test_subset_is_seeded_and_keeps_every_input(toy_deepdta, tmp_path):
    config = {"source": "davis", "subset": {"train": 3, "test": 1}}
    meta = prepare("toy", config, tmp_path / "a", seed=3, raw_dir=toy_deepdta[0])
    assert (meta["n_train"], meta["n_test"], meta["subset"]) == (3, 1, {"train": 3, "test": 1})
    prepare("toy", config, tmp_path / "b", seed=3, raw_dir=toy_deepdta[0])
    (xa, ya), (xb, yb) = (load_split(tmp_path / run / "data.npz", "train") for run in "ab")
    assert len(xa) == 2 and len(xa[1]) == 3
    np.testing.assert_array_equal(ya, yb)
    np.testing.assert_array_equal(xa[1], xb[1])


def test_subset_sizes_classes_and_bad_keys(tmp_path):
    config = {"source": "sklearn_digits", "test_fraction": 0.25, "subset": {"train": 100_000, "test": 50}}
    meta = prepare("digits", config, tmp_path, seed=0)
    assert (meta["n_train"], meta["n_test"]) == (1347, 50)
    tiny = prepare("digits", dict(config, subset={"train": 3}), tmp_path, seed=0)
    assert (tiny["n_train"], tiny["classes"]) == (3, 10)  # classes counted before the subset
    with pytest.raises(ValueError, match=r"subset takes train: and test: as row counts >= 1, got \{'val': 5\}"):
        prepare("digits", dict(config, subset={"val": 5}), tmp_path, seed=0)


@pytest.fixture(scope="module")
def real():
    """The real DAVIS and KIBA splits, loaded once: {name: (train, test)}."""
    folder = shared_or_skip()
    return {"davis": load_davis(folder / "davis"), "kiba": load_kiba(folder / "kiba")}


def read_json(*parts):
    with open(shared_mirror().joinpath(*parts)) as f:
        return json.load(f)


def read_affinity(name):
    with open(shared_mirror() / name / "Y", "rb") as f:
        return pickle.load(f, encoding="latin1")


@pytest.mark.parametrize("name, n_train, n_test, low, high", [
    ("davis", 25046, 5010, 5.0, 10.7959), ("kiba", 98545, 19709, 0.0, 17.2002)])
def test_real_deepdta_counts_and_values(real, name, n_train, n_test, low, high):
    (x_train, y_train), (x_test, y_test) = real[name]
    assert (len(y_train), len(y_test)) == (n_train, n_test)
    assert [x.shape[1] for x in x_train] == list(LENGTHS[name]) and [len(x) for x in x_test] == [n_test] * 2
    assert y_train.dtype == np.float32 and not np.isnan(y_train).any()
    both = np.concatenate([y_train, y_test])
    np.testing.assert_allclose([both.min(), both.max()], [low, high], atol=1e-4)
    for x, alphabet in zip(x_train, (SMILES_ALPHABET, PROTEIN_ALPHABET)):
        assert x.dtype == np.int32 and x.min() == 0 and 1 <= x.max() <= len(alphabet)


@pytest.mark.parametrize("name", ["davis", "kiba"])
def test_real_deepdta_padding_follows_sequence_lengths(real, name):
    (x_train, _), _ = real[name]
    rows, columns = labelled_pairs(read_affinity(name))
    train = np.concatenate(read_json(name, "folds", "train_fold_setting1.txt"))
    for x, file, index, limit in zip(x_train, ("ligands_can.txt", "proteins.txt"), (rows, columns), LENGTHS[name]):
        lengths = np.array([min(len(text), limit) for text in read_json(name, file).values()])
        np.testing.assert_array_equal((x != 0).sum(axis=1), lengths[index[train]])
        assert (np.diff((x != 0).astype(np.int8), axis=1) <= 0).all()  # codes first, then only padding


def test_real_kiba_pair_36275_is_drug_364_protein_120(real):
    affinity = read_affinity("kiba")
    rows, columns = labelled_pairs(affinity)
    assert (rows[36275], columns[36275]) == (364, 120)
    train = np.concatenate(read_json("kiba", "folds", "train_fold_setting1.txt")).tolist()
    (x, y), where = real["kiba"][0], train.index(36275)  # a training pair
    assert y[where] == np.float32(affinity[364, 120])
    ligand = list(read_json("kiba", "ligands_can.txt").values())[364]
    protein = list(read_json("kiba", "proteins.txt").values())[120]
    np.testing.assert_array_equal(x[0][where], encode({"d": ligand}, SMILES_ALPHABET, 100)[0])
    np.testing.assert_array_equal(x[1][where], encode({"p": protein}, PROTEIN_ALPHABET, 1000)[0])
