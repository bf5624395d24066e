"""Calendar rules: Amsterdam dates for terms, UTC instants, Dutch holidays, quarters."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.calendar import Quarter, add_months, end_of_day, holiday_name, local_date, non_working_reason


def test_a_term_ending_on_the_spring_dst_switch_runs_out_at_amsterdam_midnight() -> None:
    """A term ending 2026-03-29 (clocks go forward) ends 22:00 UTC, the day before at 23:00 UTC."""
    assert end_of_day(date(2026, 3, 28)) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert end_of_day(date(2026, 3, 29)) == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)


def test_a_term_ending_on_the_autumn_dst_switch_runs_out_at_amsterdam_midnight() -> None:
    """A term ending 2026-10-25 (clocks go back) ends 23:00 UTC; the day before 22:00 UTC."""
    assert end_of_day(date(2026, 10, 24)) == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert end_of_day(date(2026, 10, 25)) == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)


def test_the_domain_date_is_the_amsterdam_date_not_the_utc_date() -> None:
    """22:30 UTC on 3 April 2026 is already 4 April in Amsterdam."""
    assert local_date(datetime(2026, 4, 3, 22, 30, tzinfo=UTC)) == date(2026, 4, 4)
    assert local_date(datetime(2026, 1, 3, 22, 30, tzinfo=UTC)) == date(2026, 1, 3)


def test_naive_datetimes_are_refused() -> None:
    """Time must be timezone-aware; a naive datetime is a programming error."""
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 4, 3, 12, 0))


def test_month_arithmetic_clamps_to_the_last_day() -> None:
    """31 August + 6 months is 28 February; 29 February + 12 months is 28 February."""
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 6, 30), -6) == date(2025, 12, 30)


def test_koningsdag_and_weekends_are_not_working_days() -> None:
    """Koningsdag 2026-04-27 and a Saturday are refused with their reason; a Tuesday is fine."""
    assert holiday_name(date(2026, 4, 27)) == "Koningsdag"
    assert non_working_reason(date(2026, 4, 27)) == "Koningsdag (feestdag)"
    assert non_working_reason(date(2026, 4, 25)) == "zaterdag"
    assert non_working_reason(date(2026, 4, 21)) is None


def test_quarters_parse_the_dutch_notation_and_know_their_days() -> None:
    """'2026-K2' runs from 1 April to 30 June and is stored as text."""
    quarter = Quarter.model_validate("2026-K2")
    assert (quarter.start, quarter.end) == (date(2026, 4, 1), date(2026, 6, 30))
    assert quarter == Quarter.of(date(2026, 5, 5))
    assert quarter.model_dump() == "2026-K2"  # type: ignore[comparison-overlap]
    assert Quarter.model_validate("2026-K4").next() == Quarter(year=2027, number=1)
    assert Quarter(year=2026, number=1) < quarter


def test_a_malformed_quarter_names_the_expected_form() -> None:
    """'2026-K5' is not a quarter."""
    with pytest.raises(ValueError, match=r"JJJJ-K1\.\.K4"):
        Quarter.model_validate("2026-K5")
