"""Prefect blocks for benchgen: S3 store and credentials, the LLM key, and benchgen's own settings."""
