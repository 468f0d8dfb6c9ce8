"""What a finished workflow prints: the results it left, and how to get the report."""
from sham_core.common.joblog import where_to_look


def test_nothing_to_say_before_any_table_exists(tmp_path):
    assert where_to_look(tmp_path) == ""


def test_lists_only_the_results_that_exist(tmp_path):
    (tmp_path / "results" / "tables").mkdir(parents=True)
    (tmp_path / "results" / "tables" / "recommendation.md").write_text("# choose")
    said = where_to_look(tmp_path)
    assert "results/tables/recommendation.md" in said and "best.md" not in said
    assert "snakemake --report results/report.html" in said
