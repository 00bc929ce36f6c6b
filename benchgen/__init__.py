"""benchgen: the Benchmark Scenario Generator."""

from benchgen.render.backend import choose_gl_backend

choose_gl_backend()  # MuJoCo fixes its OpenGL backend at first import: pick a headless one before that
