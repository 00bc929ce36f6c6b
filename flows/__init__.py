"""The Prefect shell's flows; `benchgen build` runs `flows.build_dataset`."""
