"""benchgen: the Benchmark Scenario Generator."""
