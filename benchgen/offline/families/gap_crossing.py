"""Gap crossing: carry the payload from one deck across a forbidden gap onto another."""

from benchgen.offline.families.base import Family, FamilyParams, Hardness, difficulty_field, shape_field


class GapCrossingParams(FamilyParams):
    gap_width: float = difficulty_field(120.0, 60.0, 260.0, "mm: gap between the two decks", Hardness.HIGHER)
    deck_height: float = shape_field(70.0, 40.0, 140.0, "mm: height of both decks")
    deck_length: float = shape_field(180.0, 140.0, 260.0, "mm: length of each deck along the path")
    deck_width: float = shape_field(180.0, 140.0, 260.0, "mm: width of each deck across the path")


class GapCrossing(Family):
    key = "gap_crossing"
    title = "Gap crossing"
    keywords = ("gap", "cross", "crossing", "bridge", "chasm", "span", "deck", "jump", "between")
    description = "Move a payload resting on one deck across an empty gap onto a second deck without falling in."
    params_model = GapCrossingParams
    puzzle = "the payload rests on the left deck; bring it across the gap onto the right deck."
    fixture_labels = (("start_deck", "deck the payload rests on"), ("goal_deck", "deck beyond the gap"))
    zones = "goal over the far deck, forbid zone filling the gap below deck height"
    body = '''
def build(seed: int, scale: float = 1.0) -> Scenario:
    rng = random.Random(seed)
    size = vary(rng, PAYLOAD_SIZE) * scale
    gap = vary(rng, GAP_WIDTH) * scale
    deck_height = vary(rng, DECK_HEIGHT) * scale
    deck_length = vary(rng, DECK_LENGTH) * scale
    goal_edge = goal_edge_for(rng, size)
    room = goal_room(size)
    deck_width = max(vary(rng, DECK_WIDTH) * scale, 2 * room + 40 * scale) + 2 * SUPPORT_MARGIN * scale
    goal_shift = GOAL_SHIFT * scale
    # Start deck on the left of the gap, widened by the support margin; the payload sits at its centre.
    start_length = deck_length + 2 * SUPPORT_MARGIN * scale
    start_deck = block("start_deck", -gap / 2 - start_length, -gap / 2,
                       -deck_width / 2, deck_width / 2, 0, deck_height)
    payload = resting_payload(-gap / 2 - start_length / 2, 0, deck_height, size, scale)
    # Goal deck on the right, long enough to hold the goal however far it is shifted.
    goal_x = gap / 2 + 20 * scale + room + goal_shift
    goal_length = max(deck_length, goal_x + room + 20 * scale - gap / 2)
    goal_deck = block("goal_deck", gap / 2, gap / 2 + goal_length, -deck_width / 2, deck_width / 2, 0, deck_height)
    goal = goal_on(goal_x, 0, deck_height, goal_edge, size)
    # The gap itself is forbidden below deck height.
    gap_zone = Zone((-gap / 2, -deck_width / 2 - 50 * scale, -40 * scale),
                    (gap / 2, deck_width / 2 + 50 * scale, deck_height - 2 * scale), name="gap")
    return scenario([start_deck, goal_deck], payload, goal, [gap_zone], scale)
'''
