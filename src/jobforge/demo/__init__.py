"""The handlers and scenario `jobforge demo` runs."""
