"""The connector registry: Markdown pages and registry.json rendered from connector metadata."""
