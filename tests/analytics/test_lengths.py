import pytest

from analytics.lengths import length_report, length_summary


def test_summary_of_a_known_sample():
    summary = length_summary([10, 20, 30, 40, 100], thresholds=(25, 99, 100))
    assert summary["n"] == 5
    assert summary["mean"] == 40
    assert summary["percentiles"]["50"] == 30
    assert summary["p_exceeds"] == {"25": 0.6, "99": 0.2, "100": 0.0}
    assert sum(summary["histogram"]["counts"]) == 5
    # The density is a density: it integrates to ~1, and its tail agrees with the counts' direction.
    kde_tail = summary["p_exceeds_kde"]
    assert 1 > kde_tail["25"] > kde_tail["99"] > 0


def test_constant_sample_has_no_density_but_still_a_summary():
    summary = length_summary([7, 7, 7])
    assert summary["kde"] is None and summary["p_exceeds_kde"] is None
    assert summary["percentiles"]["99"] == 7


def test_empty_sample_is_an_error():
    with pytest.raises(ValueError):
        length_summary([])


def test_grouped_lengths_give_the_same_summary_as_every_message():
    values = [10, 10, 10, 20, 35, 35, 80]
    grouped, plain = length_summary([10, 20, 35, 80], [3, 1, 2, 1]), length_summary(values)
    for key in ("n", "mean", "std", "percentiles", "histogram", "p_exceeds"):
        assert grouped[key] == plain[key]
    assert grouped["kde"]["density"] == pytest.approx(plain["kde"]["density"], rel=1e-9)
    assert grouped["p_exceeds_kde"] == pytest.approx(plain["p_exceeds_kde"], rel=1e-9)


def test_report_groups_by_kind_and_spam_flag():
    chars = [(100, "contact", False, 1), (300, "consultation", False, 1), (50, "contact", True, 1)]
    words = [(20, "contact", False, 1), (60, "consultation", False, 1), (5, "contact", True, 1)]
    report = length_report(chars, words)
    assert report["chars"]["all"]["n"] == 3
    assert report["chars"]["by_kind"]["contact"]["mean"] == 75
    assert report["chars"]["by_kind"]["consultation"]["mean"] == 300
    assert report["words"]["by_spam"]["spam"]["mean"] == 5
    assert report["words"]["by_spam"]["not_spam"]["n"] == 2
