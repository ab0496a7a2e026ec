"""hearth-lsp: a language server that keeps a local code model warm."""

__version__ = "0.1.0"
