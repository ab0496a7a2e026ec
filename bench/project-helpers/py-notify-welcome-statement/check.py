from members.mailer import OUTBOX
from members.onboarding import join
join({"email": "ada@example.org"})
assert OUTBOX == [("ada@example.org", "Welcome aboard!")], OUTBOX
