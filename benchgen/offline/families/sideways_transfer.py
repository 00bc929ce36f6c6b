"""Sideways transfer: carry the payload sideways across a long forbidden strip to a parallel deck."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class SidewaysTransferParams(FamilyParams):
    strip_width: float = difficulty_field(
        120.0, 50.0, 240.0, "mm: width of the forbidden strip between the decks", Hardness.HIGHER
    )
    height_step: float = difficulty_field(
        20.0, 0.0, 80.0, "mm: how much higher the goal deck is than the start deck", Hardness.HIGHER
    )
    deck_length: float = shape_field(360.0, 260.0, 520.0, "mm: length of both decks along the strip")
    deck_width: float = shape_field(140.0, 110.0, 200.0, "mm: width of each deck")
    deck_height: float = shape_field(60.0, 40.0, 100.0, "mm: height of the start deck")


class SidewaysTransfer(Family):
    key = "sideways_transfer"
    title = "Sideways transfer across a forbid strip"
    keywords = ("sideways", "transfer", "strip", "lateral", "across", "parallel", "shift", "side", "conveyor", "moat")
    description = "Carry a payload sideways from one long deck to a parallel deck across a long forbidden strip."
    params_model = SidewaysTransferParams
    puzzle = "the payload rests near one end of a long deck; move it across the forbidden strip to the other deck."
    fixture_labels = (("start_deck", "deck the payload rests on"), ("goal_deck", "parallel deck across the strip"))
    zones = "goal on the far deck, offset along the strip; a forbid strip runs the full length between the decks"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    strip = vary(rng, STRIP_WIDTH) * scale
    step = vary(rng, HEIGHT_STEP) * scale
    length = vary(rng, DECK_LENGTH) * scale
    goal_edge = goal_edge_for(rng, size)
    room = goal_room(size)
    deck_width = max(vary(rng, DECK_WIDTH) * scale, 2 * room + 40 * scale)
    start_width = deck_width + 2 * SUPPORT_MARGIN * scale
    goal_width = deck_width + GOAL_SHIFT * scale
    height = vary(rng, DECK_HEIGHT) * scale
    start_deck = block("start_deck", -length / 2, length / 2, -strip / 2 - start_width, -strip / 2, 0, height)
    goal_deck = block("goal_deck", -length / 2, length / 2, strip / 2, strip / 2 + goal_width, 0, height + step)
    payload = resting_payload(-length / 4, -strip / 2 - start_width / 2, height, size, scale)
    goal = goal_on(length / 4, strip / 2 + goal_width - 20 * scale - room, height + step, goal_edge, size)
    strip_zone = Zone((-length / 2 - 200 * scale, -strip / 2, -40 * scale),
                      (length / 2 + 200 * scale, strip / 2, height - 2 * scale), name="strip")
    return scenario([start_deck, goal_deck], payload, goal, [strip_zone], scale)
'''
