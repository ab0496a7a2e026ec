from news.teaser import teaser
article = " ".join(f"w{i}" for i in range(30))
assert teaser(article) == " ".join(f"w{i}" for i in range(20)) + " …"
