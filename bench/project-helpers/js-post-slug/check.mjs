import assert from 'node:assert/strict';
import { postPath } from './src/posts.js';
assert.equal(postPath('Hello, World!'), '/posts/hello-world');
