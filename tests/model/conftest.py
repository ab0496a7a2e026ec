"""Tests with the embedded Gemma 3 270M model; they reuse the e2e client fixture."""

from tests.e2e.conftest import client

__all__ = ["client"]
