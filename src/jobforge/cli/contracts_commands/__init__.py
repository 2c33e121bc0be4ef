"""The subcommands of ``jobforge-contracts``, one module each, each exposing ``register``."""
