"""The contracts' constants (docs/scenario-contract.md, docs/solution-contract.md), written once.

It imports nothing, so command-line help can be formatted from it without loading MuJoCo or the sandbox.
"""

MIN_SCALE = 0.5  # smallest uniform size factor `scale` the scenario contract allows
MAX_SCALE = 2.0  # largest uniform size factor `scale` the scenario contract allows
SCALE_RANGE = f"[{MIN_SCALE}, {MAX_SCALE}]"  # the range as help texts and messages write it

DEFAULT_SEEDS = (0, 1, 2, 3, 4)  # seeds a script is validated on unless the caller says otherwise
DEFAULT_SCALES = (1.0,)  # scales a script is validated and evaluated on unless the caller says otherwise
DEFAULT_EVALUATION_SEEDS = (0, 1, 2)  # seeds a solution is evaluated on unless the caller says otherwise
TARGET_CAP_FACTOR = 1.5  # a benchmark's cost and weight caps, as a multiple of its witness's
WITNESS_FILE = "solution.py"  # a benchmark's witness, beside its script.py in the published version
