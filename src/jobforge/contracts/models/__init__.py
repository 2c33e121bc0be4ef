"""The models: runner contracts, connector metadata and goldens, and their JSON Schemas."""
