import datetime


def add_days(day: datetime.date, count: int) -> datetime.date:
    """The date ``count`` calendar days after ``day``."""
    return day + datetime.timedelta(days=count)


def add_business_days(day: datetime.date, count: int) -> datetime.date:
    """The date ``count`` working days (Monday to Friday) after ``day``."""
    while count > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day
