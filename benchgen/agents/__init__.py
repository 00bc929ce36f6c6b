"""Agents that plan, write and review scenario scripts, and the graph that runs them."""
