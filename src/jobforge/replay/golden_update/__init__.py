"""Splicing new values into a golden's YAML text, leaving every other byte as it was."""
