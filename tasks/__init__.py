"""Prefect tasks of the dataset build: thin wrappers over `benchgen.pipeline`, one per step."""
