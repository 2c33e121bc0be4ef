"""Loading: which file is which, and reading JSON or YAML with the position of every node."""
