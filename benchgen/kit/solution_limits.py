"""Every limit a solution must respect, in one place (docs/solution-contract.md lists them).

A solution beyond one of these is rejected with OVER_LIMITS before it is simulated.
"""

MAX_PARTS = 16  # static parts per solution
MAX_MOVERS = 4  # sliders and hinges per solution
MAX_FORCE_N = 200.0  # N; the strongest linear motor a Slider may ask for
DEFAULT_FORCE_N = 50.0  # N; a Slider's motor force when the solution does not say
MAX_TORQUE_NM = 20.0  # N*m; the strongest rotary motor a Hinge may ask for
DEFAULT_TORQUE_NM = 5.0  # N*m; a Hinge's motor torque when the solution does not say
MAX_SPEED_MM_S = 1000.0  # mm/s; fastest a Slider may travel
MAX_ANGULAR_SPEED_DEG_S = 360.0  # deg/s; fastest a Hinge may turn
MAX_TRAVEL_MM = 2000.0  # mm; longest Slider stroke (the build zone usually limits it first)
MAX_ANGLE_DEG = 360.0  # deg; largest Hinge turn either way
DEFAULT_HORIZON_S = 10.0  # s of simulated time a solution is judged over when it does not say
MAX_HORIZON_S = 30.0  # s; the longest horizon a solution may ask for
MOVER_PRICE = 20.0  # cost units per mover (motor, guide, controller), on top of its material
