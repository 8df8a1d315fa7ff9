"""R121-7: due dates count working days - Monday to Friday except England & Wales bank holidays."""
from datetime import date

import pytest

from incidents.working_days import add_working_days, is_working_day, working_days_between


@pytest.mark.parametrize(("raised", "due"), [
    (date(2026, 11, 23), date(2026, 12, 7)),  # an ordinary fortnight
    (date(2026, 12, 23), date(2027, 1, 11)),  # Christmas, Boxing Day substitute (Mon 28th), New Year
    (date(2027, 3, 24), date(2027, 4, 9)),  # Good Friday 26 March and Easter Monday 29 March 2027
    (date(2027, 4, 30), date(2027, 5, 17)),  # early May bank holiday (3 May 2027)
    (date(2027, 12, 24), date(2028, 1, 12)),  # both Christmas substitutes (27th, 28th) and New Year substitute (3 Jan)
    (date(2026, 11, 21), date(2026, 12, 4)),  # raised on a Saturday: counting starts on Monday
])
def test_ten_working_days_skip_weekends_and_bank_holidays(raised, due):
    assert add_working_days(raised, 10) == due


def test_bank_holidays_and_weekends_are_not_working_days():
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day (substitute)
    assert not is_working_day(date(2027, 3, 29))  # Easter Monday
    assert not is_working_day(date(2027, 5, 1))  # Saturday
    assert is_working_day(date(2027, 3, 30))


def test_working_days_between_counts_the_days_a_response_took():
    assert working_days_between(date(2026, 12, 23), date(2027, 1, 11)) == 10
    assert working_days_between(date(2027, 1, 11), date(2027, 1, 11)) == 0


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2027, 1, 1), -1)
