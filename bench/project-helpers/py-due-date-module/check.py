import datetime
from tickets.sla import due_date
assert due_date(datetime.date(2024, 5, 3)) == datetime.date(2024, 5, 10)
