from etl.upload import SENT, upload
upload([{}] * 250)
assert SENT == [100, 100, 50], SENT
