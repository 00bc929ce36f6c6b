"""The dataset layer: index rows, the Great Expectations gate, the card and atomic publication."""
