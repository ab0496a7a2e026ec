"""Prompt templates (TOML), installed as package data."""
