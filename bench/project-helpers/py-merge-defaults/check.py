from plugins.options import plugin_options
assert plugin_options({"cache": {"ttl": 5}}) == {"cache": {"size": 100, "ttl": 5},
                                                 "verbose": False}
