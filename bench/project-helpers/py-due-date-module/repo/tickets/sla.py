import datetime

from scheduling import calendar_math


def due_date(opened: datetime.date) -> datetime.date:
    """A ticket must be answered within five business days of being opened."""
    return calendar_math.add_business_days(opened, 5)
