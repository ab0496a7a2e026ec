import json
from service.startup import describe
with open("settings.json", "w") as f:
    json.dump({"port": 9000}, f)
assert describe("settings.json") == "port 9000 with 2 workers"
