"""The formats benchmark runs end to end and refuses malformed grids."""
import csv
import itertools

import numpy as np
import pytest

from sham_core.bench import cli
from sham_core.bench import formats as bench_formats
from sham_core.common import measure as timing
from sham_core.formats import BASELINES, DIRECT, FORMATS


def test_quick_benchmark_writes_a_verified_row_per_format(tmp_path, capsys):
    out = tmp_path / "formats.csv"
    cli.main(["formats", "--quick", "--shapes", "64x48", "--repeats", "3", "--out", str(out),
                "--formats", ",".join(FORMATS)])
    rows = list(csv.DictReader(out.open()))
    assert [row["format"] for row in rows] == list(FORMATS)
    assert all(row["verified"] == "True" for row in rows)
    assert {row["format"] for row in rows if row["kind"] == "baseline"} == set(BASELINES)
    for row in rows:
        assert float(row["ratio_b1_dense"]) == pytest.approx(
            float(row["matmul_b1_s"]) / float(row["numpy_b1_s"]))
        assert int(row["nbytes"]) == pytest.approx(float(row["psi"]) * 4 * 64 * 48)
    out = capsys.readouterr().out
    assert "sham" in out and "im_zstd19 baseline" in out
    assert "64x48 p=90  k=32   uniform direct " in out and "baseline/direct" in out


def test_defaults_run_every_format_and_quick_only_the_fast_baselines():
    grid = bench_formats.grid_of(cli.build_parser().parse_args(["formats"]))
    assert grid["formats"] == tuple(FORMATS) and grid["shapes"] == bench_formats.DEFAULT_SHAPES
    quick = bench_formats.grid_of(cli.build_parser().parse_args(["formats", "--quick"]))
    assert set(DIRECT) < set(quick["formats"])
    assert not {"xz", "zstd19", "im_xz", "im_zstd19"} & set(quick["formats"])


def test_a_long_call_is_timed_once(monkeypatch):
    calls = []
    timing.measure(lambda: calls.append(1), 20, budget_s=0.01)
    assert len(calls) >= 4
    calls.clear()
    monkeypatch.setattr(timing, "LONG_S", 0.0)
    seconds, result = timing.measure(lambda: calls.append(1) or "done", 20)
    assert result == "done" and seconds > 0 and len(calls) == 1


def test_calls_measured_in_turn_alternate_and_keep_their_results(monkeypatch):
    calls = []
    timed = timing.measure_in_turn([lambda: calls.append("a") or 1, lambda: calls.append("b") or 2], 5,
                                   budget_s=0.001)
    assert [result for _, result in timed] == [1, 2] and all(seconds > 0 for seconds, _ in timed)
    turns = [name for name, _ in itertools.groupby(calls[4:])]  # after an untimed and a sizing call each
    assert turns == ["a", "b"] * (len(turns) // 2) and len(turns) >= 6, "a sample of a, then of b, ..."
    calls.clear()
    monkeypatch.setattr(timing, "LONG_S", 0.0)
    timed = timing.measure_in_turn([lambda: calls.append("a") or 1, lambda: calls.append("b") or 2], 5)
    assert [result for _, result in timed] == [1, 2] and calls == ["a", "b"], "long: the first call is the sample"


def test_make_matrix_has_the_requested_sparsity_and_values():
    W = timing.make_matrix((100, 50), 90, 7, seed=1)
    assert W.dtype == np.float32 and (W == 0).sum() == 4500
    assert np.unique(W[W != 0]).size == 7


def test_uniform_zeros_are_the_default_and_stay_seeded_as_before():
    W = timing.make_matrix((100, 50), 90, 7, seed=1)
    assert np.array_equal(W, timing.make_matrix((100, 50), 90, 7, seed=1, zeros="uniform"))
    assert (W == 0).all(axis=1).sum() < 90 and (W == 0).all(axis=0).sum() < 45


@pytest.mark.parametrize("zeros, axis", [("rows", 1), ("cols", 0)])
def test_structured_zeros_are_whole_dead_rows_or_columns(zeros, axis):
    W = timing.make_matrix((100, 50), 90, 7, seed=1, zeros=zeros)
    dead = (W == 0).all(axis=axis)
    assert dead.sum() == round(0.9 * W.shape[1 - axis]) and (W == 0).sum() == 4500
    assert (np.take(W, np.flatnonzero(~dead), axis=1 - axis) != 0).all()
    assert np.unique(W[W != 0]).size == 7
    assert np.array_equal(W, timing.make_matrix((100, 50), 90, 7, seed=1, zeros=zeros))


def test_zeros_option_parses_a_list_and_runs_each_layout(tmp_path, capsys):
    args = cli.build_parser().parse_args(["formats", "--zeros", "rows,cols"])
    assert bench_formats.grid_of(args)["zeros"] == ("rows", "cols")
    out = tmp_path / "formats.csv"
    cli.main(["formats", "--quick", "--shapes", "64x48", "--repeats", "3", "--zeros", "rows,cols",
                "--formats", "sham,gzip", "--out", str(out)])
    rows = list(csv.DictReader(out.open()))
    assert [(row["zeros"], row["format"]) for row in rows] == [
        ("rows", "sham"), ("rows", "gzip"), ("cols", "sham"), ("cols", "gzip")]
    assert all(row["verified"] == "True" for row in rows)
    assert " rows    sham " in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--shapes", "12y3"], ["--p", "100"], ["--k", "0"],
                                  ["--formats", "zip"], ["--repeats", "2"], ["--zeros", "diag"],
                                  ["--zeros", "rows,"]])
def test_malformed_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit):
        cli.main(["formats", *argv])
    assert "error" in capsys.readouterr().err


def test_unknown_zeros_are_named_in_the_error(capsys):
    with pytest.raises(SystemExit):
        cli.main(["formats", "--zeros", "diag"])
    assert "unknown zeros 'diag'; known: uniform, rows, cols" in capsys.readouterr().err
    with pytest.raises(ValueError, match="zeros"):
        timing.make_matrix((4, 4), 50, 2, seed=0, zeros="diag")


def test_quick_methods_benchmark_prints_every_step_and_ratio(capsys):
    cli.main(["methods", "--quick", "--methods", "pr,cws,slr", "--samples", "128", "--extra-epochs", "1",
              "--rounds", "1"])
    out = capsys.readouterr().out
    for line in ("pr       {'p': 90}", "cws      {'k': 32}", "slr ", "plain fit", "cws (both)",
                 "worst compression step"):
        assert line in out
    assert "not timed" not in out, "cws retrained at the study's codebook rate does not diverge"


def test_retraining_data_tells_its_classes_apart():
    """Each image is nearest its own class's template, so a CNN can learn them (random labels cannot be)."""
    import numpy as np
    from sham_core.bench.methods import learnable_images
    x, y = learnable_images(512)
    means = np.stack([x[y == c].mean(axis=0) for c in range(10)])
    distances = ((x[:, None] - means[None]) ** 2).sum(axis=(2, 3, 4))
    assert (distances.argmin(axis=1) == y).mean() > 0.95
    again, labels = learnable_images(512)
    assert np.array_equal(again, x) and np.array_equal(labels, y), "seeded"


def test_an_epoch_is_not_timed_when_a_run_trained_fewer_epochs_than_asked():
    from sham_core.bench.methods import epoch_seconds
    assert epoch_seconds(lambda epochs: epochs, 2) is not None
    assert epoch_seconds(lambda epochs: min(epochs, 1), 2) is None, "a retraining that stopped at a divergence"


def test_methods_benchmark_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="unknown compression method 'nope'"):
        cli.main(["methods", "--quick", "--methods", "nope"])
