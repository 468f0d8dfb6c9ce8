"""python -m sham_core compress / predict on a tiny model, and its usage errors."""
import subprocess
import sys

import numpy as np
import pytest

from keras_models import classification_data, regression_data, small_cnn, two_input_regressor
from sham_core.__main__ import main
from sham_core.artifact import load, save
from sham_core.compression import METHODS, compress


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny saved CNN, its data npz, and its test inputs as .npy."""
    folder = tmp_path_factory.mktemp("cli")
    small_cnn().save(folder / "model.keras")
    (x_train, y_train), (x_test, y_test) = classification_data(64, seed=1), classification_data(32, seed=2)
    np.savez(folder / "data.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    np.save(folder / "inputs.npy", x_test)
    return folder


def usage_error(argv, capsys):
    """The stderr of a command that must exit with a usage error."""
    with pytest.raises(SystemExit) as error:
        main(argv)
    assert error.value.code == 2
    return capsys.readouterr().err


def test_compress_then_predict(files, tmp_path, capsys):
    out = tmp_path / "model.sham"
    main(["compress", str(files / "model.keras"), "--method", "pr_uq", "--p", "50", "--k", "4",
          "--data", str(files / "data.npz"), "--epochs", "1", "--batch-size", "32", "-o", str(out)])
    printed = capsys.readouterr().out
    assert "pr_uq on dense layers: psi 0." in printed and f"{out.stat().st_size:,} bytes" in printed
    assert "accuracy:" in printed and "after retraining" in printed
    manifest = load(out).manifest
    assert manifest["params"] == {"p": 50.0, "k": 4} and manifest["info"]["epochs"] == 1
    main(["predict", str(out), str(files / "inputs.npy"), "-o", str(tmp_path / "pred.npy")])
    expected = load(out).predict(np.load(files / "inputs.npy"))
    assert np.array_equal(np.load(tmp_path / "pred.npy"), expected)
    capsys.readouterr()
    main(["predict", str(out), str(files / "inputs.npy")])
    np.testing.assert_allclose(np.loadtxt(capsys.readouterr().out.splitlines()), expected, rtol=1e-6)


def test_compress_both_with_a_method_per_side(files, tmp_path, capsys):
    out = tmp_path / "both.sham"
    main(["compress", str(files / "model.keras"), "--layers", "both", "--conv-method", "cws", "--dense-method",
          "pr_cws", "--k", "4", "--dense-p", "50", "-o", str(out)])
    manifest = load(out).manifest
    assert manifest["method"] == {"conv": "cws", "dense": "pr_cws"}
    assert manifest["params"] == {"conv": {"k": 4}, "dense": {"p": 50.0, "k": 4}}
    assert "cws" in capsys.readouterr().out


def test_compress_in_the_study_mode_records_it(files, tmp_path, capsys):
    out = tmp_path / "study.sham"
    main(["compress", str(files / "model.keras"), "--layers", "both", "--conv-method", "cws", "--dense-method",
          "pr_uq", "--k", "8", "--dense-p", "80", "--prune-quantize", "study", "-o", str(out)])
    manifest = load(out).manifest
    assert manifest["info"]["prune_quantize"] == "study"
    message = usage_error(["compress", str(files / "model.keras"), "--method", "cws", "--k", "4",
                           "--prune-quantize", "study", "-o", str(tmp_path / "x.sham")], capsys)
    assert "prune_quantize='study' applies to pruning + quantization" in message and "not to 'cws'" in message
    assert not (tmp_path / "x.sham").exists()


def test_predict_reads_several_inputs_from_an_npz(tmp_path, capsys):
    x, y = regression_data()
    res = compress(two_input_regressor(), "pr_uq", "dense", {"p": 50, "k": 4}, seed=1)
    save(res, tmp_path / "two.sham")
    np.savez(tmp_path / "inputs.npz", x_0=x[0], x_1=x[1])
    main(["predict", str(tmp_path / "two.sham"), str(tmp_path / "inputs.npz"), "-o", str(tmp_path / "p.npy")])
    assert np.load(tmp_path / "p.npy").shape == y.shape


@pytest.mark.parametrize("args, message", [
    (["--method", "pr_uq", "--p", "50", "--k", "4", "--q", "3"], "--q: not a parameter of pr_uq"),
    (["--method", "pr_uq", "--p", "50"], "missing: k"),
    (["--p", "50"], "--method is required"),
    (["--layers", "both", "--dense-method", "uq", "--k", "4"], "needs --conv-method and --dense-method"),
    (["--method", "uq", "--k", "4", "--epochs", "2"], "--epochs needs --data"),
    (["--method", "uq", "--k", "4", "--data", "nowhere.npz"], "no such file: nowhere.npz"),
    (["--method", "uq", "--k", "99999"], "k=99999 exceeds"),
    (["--method", "uq", "--k", "4", "--batch-size", "0"], "argument --batch-size: must be 1 or more, not 0"),
])
def test_compress_usage_errors(files, tmp_path, capsys, args, message):
    argv = ["compress", str(files / "model.keras"), *args, "-o", str(tmp_path / "m.sham")]
    assert message in usage_error(argv, capsys)


def test_compress_refuses_negative_epochs(files, tmp_path, capsys):
    argv = ["compress", str(files / "model.keras"), "--method", "uq", "--k", "4", "--data", str(files / "data.npz"),
            "--epochs", "-1", "-o", str(tmp_path / "m.sham")]
    assert "argument --epochs: must be 0 or more, not -1" in usage_error(argv, capsys)


def test_an_unknown_method_lists_the_valid_ones(files, tmp_path, capsys):
    err = usage_error(["compress", str(files / "model.keras"), "--method", "zip", "-o", str(tmp_path / "m")], capsys)
    assert "invalid choice: 'zip'" in err and all(name in err for name in METHODS)


def test_predict_usage_errors(files, tmp_path, capsys):
    assert "no such file: missing.sham" in usage_error(["predict", "missing.sham", str(files / "inputs.npy")], capsys)
    keras_file = str(files / "model.keras")
    assert "not a sham_core model file" in usage_error(["predict", keras_file, str(files / "inputs.npy")], capsys)
    out = tmp_path / "m.sham"
    main(["compress", keras_file, "--method", "uq", "--k", "4", "-o", str(out)])
    np.save(tmp_path / "flat.npy", np.zeros((2, 64), np.float32))
    assert "of shape (None, 8, 8, 1); got (2, 64)" in usage_error(["predict", str(out), str(tmp_path / "flat.npy")],
                                                                  capsys)


def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "sham_core", "compress", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--dense-method" in done.stdout


@pytest.fixture(scope="module")
def model_file(files):
    """A model file compressed from the tiny CNN."""
    out = files / "uq.sham"
    main(["compress", str(files / "model.keras"), "--method", "uq", "--k", "4", "-o", str(out)])
    return out


def test_compress_without_retraining_does_not_claim_any(files, tmp_path, capsys):
    main(["compress", str(files / "model.keras"), "--method", "uq", "--k", "4", "--data", str(files / "data.npz"),
          "-o", str(tmp_path / "m.sham")])
    printed = capsys.readouterr().out
    assert "after compression" in printed and "retraining" not in printed


def inputs_file(folder, name, content):
    """``content`` (an array, or text) saved as ``folder / name``."""
    path = folder / name
    if isinstance(content, str):
        path.write_text(content)
    else:
        np.save(path, content)
    return str(path)


@pytest.mark.parametrize("name, content, options, message", [
    ("empty.npy", np.zeros((0, 8, 8, 1), np.float32), [], "empty.npy holds no inputs (shape (0, 8, 8, 1))"),
    ("ok.npy", np.zeros((2, 8, 8, 1), np.float32), ["--batch-size", "0"],
     "argument --batch-size: must be 1 or more, not 0"),
    ("ok.npy", np.zeros((2, 8, 8, 1), np.float32), ["--batch-size", "-3"],
     "argument --batch-size: must be 1 or more, not -3"),
    ("text.npy", "0.5 0.25\n1 2\n", [],
     "text.npy is not a numpy .npy or .npz file of numbers; write the inputs with numpy.save"),
    ("nan.npy", np.full((2, 8, 8, 1), np.nan, np.float32), [],
     "nan.npy: 128 NaN or infinite values in the inputs; clean them, or pass --allow-nan"),
])
def test_predict_refuses_bad_inputs_naming_the_file_or_option(model_file, tmp_path, capsys, name, content, options,
                                                              message):
    err = usage_error(["predict", str(model_file), inputs_file(tmp_path, name, content), *options], capsys)
    assert message in err.splitlines()[-1]


def test_predict_with_allow_nan_warns_and_predicts(model_file, tmp_path, capsys):
    x = np.zeros((3, 8, 8, 1), np.float32)
    x[1, 0, 0, 0] = np.nan
    main(["predict", str(model_file), inputs_file(tmp_path, "nan.npy", x), "--allow-nan",
          "-o", str(tmp_path / "p.npy")])
    err = capsys.readouterr().err
    assert "warning: " in err and "nan.npy: 1 NaN or infinite value in the inputs" in err
    predictions = np.load(tmp_path / "p.npy")
    assert predictions.shape == (3, 3) and np.isnan(predictions[1]).all() and np.isfinite(predictions[[0, 2]]).all()
