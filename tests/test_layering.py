"""Imports run down the layers: a lower module never loads a higher one (checked in a fresh interpreter)."""

import subprocess
import sys

import pytest

# (module imported, package prefix it must not load)
BELOW = [
    ("benchgen.models", "benchgen.agents"),
    ("benchgen.physics.settle", "benchgen.validation"),
    ("benchgen.measures.difficulty", "benchgen.offline"),
    ("benchgen.measures.fingerprint", "benchgen.offline"),
    ("benchgen.dataset.published", "benchgen.gallery"),
    ("benchgen.validation.report", "benchgen.evaluation.evaluator"),
]


@pytest.mark.parametrize(("module", "higher"), BELOW)
def test_a_lower_module_does_not_load_a_higher_one(module, higher):
    check = (
        f"import sys, {module}\n"
        f"loaded = sorted(m for m in sys.modules if m.startswith({higher!r}) and m != {module!r})\n"
        f"assert not loaded, loaded\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
