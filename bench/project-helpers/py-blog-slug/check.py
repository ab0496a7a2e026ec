from blog.posts import Post, post_path
assert post_path(Post("Hello, World!", "")) == "/posts/hello-world"
