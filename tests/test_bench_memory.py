"""The memory benchmark runs the data, train and compress jobs end to end and reports each one's peak RSS."""
import csv

from sham_core.bench import cli


def test_memory_benchmark_writes_a_positive_peak_per_job(tmp_path, capsys):
    out = tmp_path / "memory.csv"
    cli.main(["memory", "--model", "vgg_mini", "--shape", "8,8,1", "--train", "64", "--test", "32",
                "--steps", "1", "--out", str(out)])
    rows = list(csv.DictReader(out.open()))
    assert [row["job"] for row in rows] == ["data", "train", "compress"]
    assert all(float(row["peak_rss_mb"]) > 0 for row in rows)
    assert all(row["model"] == "vgg_mini" and row["train_shape"] == "64x8x8x1" for row in rows)
    assert [int(row["steps"]) for row in rows] == [0, 1, 1]  # one timed training batch per fit
    assert float(rows[2]["input_mb"]) > float(rows[1]["input_mb"])  # compress also reads the baseline model
    assert "not a full run's time" in capsys.readouterr().out
