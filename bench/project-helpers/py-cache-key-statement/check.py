from web.cache import STORE, remember
from web.keys import cache_key
k = remember("/a", {"y": "2", "x": "1"}, "body")
assert k == cache_key("/a", {"x": "1", "y": "2"}) and STORE == {k: "body"}
