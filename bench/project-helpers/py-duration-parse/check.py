from jobs.timeouts import timeout_ms
assert timeout_ms("1h30m") == 5_400_000 and timeout_ms("45s") == 45_000
