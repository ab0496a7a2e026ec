from blog.posts import Post, heading
assert heading(Post("Hello, World!", "")) == "Hello, World!"
