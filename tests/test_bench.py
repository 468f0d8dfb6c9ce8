"""The formats benchmark runs end to end and refuses malformed grids."""
import csv

import numpy as np
import pytest

from sham_core import bench
from sham_core.formats import BASELINES, DIRECT, FORMATS


def test_quick_benchmark_writes_a_verified_row_per_format(tmp_path, capsys):
    out = tmp_path / "formats.csv"
    bench.main(["formats", "--quick", "--shapes", "64x48", "--repeats", "3", "--out", str(out),
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
    assert "64x48 p=90  k=32   direct " in out and "baseline/direct" in out


def test_defaults_run_every_format_and_quick_only_the_fast_baselines():
    grid = bench.grid_of(bench.build_parser().parse_args(["formats"]))
    assert grid["formats"] == tuple(FORMATS) and grid["shapes"] == bench.DEFAULT_SHAPES
    quick = bench.grid_of(bench.build_parser().parse_args(["formats", "--quick"]))
    assert set(DIRECT) < set(quick["formats"])
    assert not {"xz", "zstd19", "im_xz", "im_zstd19"} & set(quick["formats"])


def test_a_long_call_is_timed_once(monkeypatch):
    calls = []
    bench.measure(lambda: calls.append(1), 20, budget_s=0.01)
    assert len(calls) >= 4
    calls.clear()
    monkeypatch.setattr(bench, "LONG_S", 0.0)
    seconds, result = bench.measure(lambda: calls.append(1) or "done", 20)
    assert result == "done" and seconds > 0 and len(calls) == 1


def test_make_matrix_has_the_requested_sparsity_and_values():
    W = bench.make_matrix((100, 50), 90, 7, seed=1)
    assert W.dtype == np.float32 and (W == 0).sum() == 4500
    assert np.unique(W[W != 0]).size == 7


@pytest.mark.parametrize("argv", [["--shapes", "12y3"], ["--p", "100"], ["--k", "0"],
                                  ["--formats", "zip"], ["--repeats", "2"]])
def test_malformed_arguments_are_refused(argv, capsys):
    with pytest.raises(SystemExit):
        bench.main(["formats", *argv])
    assert "error" in capsys.readouterr().err


def test_quick_methods_benchmark_prints_every_step_and_ratio(capsys):
    bench.main(["methods", "--quick", "--methods", "pr,cws,slr", "--samples", "128", "--extra-epochs", "1"])
    out = capsys.readouterr().out
    for line in ("pr       {'p': 90}", "cws      {'k': 32}", "slr ", "plain fit", "cws (both)", "worst compression step"):
        assert line in out


def test_methods_benchmark_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="unknown compression method 'nope'"):
        bench.main(["methods", "--quick", "--methods", "nope"])
