"""Review evidence: multi-view renders with zones, render metrics, a contact sheet and a settle clip.

Kept import-light on purpose: `benchgen/__init__.py` imports `benchgen.render.backend` to choose the
headless OpenGL backend before anything imports mujoco. Import the parts from their modules
(`benchgen.render.views`, `.metrics`, `.sheet`, `.clip`, `.bundle`).
"""
