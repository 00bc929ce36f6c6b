"""The offline backend: procedural Planner, Coder and Reviewer over a catalogue of scenario families."""
