"""The offline Planner: map a free-text theme to a scenario family and draw a seeded randomization plan.

Matching is TF-IDF over words. Each family's text is its key, title, keywords (counted
KEYWORD_WEIGHT times) and description; words are lower-cased, split on anything not a letter or digit,
stripped of a few suffixes ("-ing", "-es", "-s") and of stop words. A family scores the sum, over the
theme's words it contains, of the word's weight in that family times log(1 + families / families
containing the word). The best score wins; ties go to the catalogue order. A theme that shares no word
with any family gets the family whose text shares the most character trigrams with it, and the plan's
notes say so.

The plan is drawn from `random.Random` seeded with the theme and the seed, so it is deterministic in
(theme, seed), and two themes that map to the same family still get different plans. A re-plan (with the
Reviewer's feedback) adds the number of re-plans this planner made for (theme, seed) to the seed. A difficulty level
in [0, 1] places every difficulty parameter along its range (in its harder direction, with a little
noise); the other parameters are drawn uniformly. The plan's `difficulty_intent` is the difficulty score
of the rendered script's nominal variant (seed 0, scale 1.0).
"""

import math
import random
import re
from collections import Counter

from pydantic import BaseModel

from benchgen.decisions import Plan, PlannedFixture, RandomizedDimension
from benchgen.measures.difficulty import difficulty_score
from benchgen.offline.build import build_spec
from benchgen.offline.families import FAMILIES, Family, Hardness
from benchgen.offline.families.base import FIXTURE_MATERIALS, PAYLOAD_MATERIALS, PAYLOAD_SHAPES, FamilyParams

KEYWORD_WEIGHT = 2  # a family keyword counts this many times as much as a word of its description
STOP_WORDS = frozenset(
    {
        "a", "an", "and", "the", "of", "to", "in", "on", "into", "onto", "for", "with", "from", "by", "at", "as",
        "is", "are", "be", "it", "its", "that", "this", "must", "should", "which", "then", "than", "so", "get",
        "make", "over",
    }
)
# "over" is a stop word on purpose: it appears in too many themes ("over a gap", "over a bump") to decide.
TRIGRAM = 3  # characters per n-gram of the fallback similarity

LEVEL_RANGE = (0.05, 0.95)  # difficulty levels drawn for plans
LEVEL_NOISE = 0.12  # largest per-parameter deviation from the plan's level, as a fraction of the range
VARIATION_RANGE = (0.06, 0.14)  # relative per-seed variation the plans draw
NOMINAL_SEED = 0  # the variant whose difficulty the plan records as its intent
NOMINAL_SCALE = 1.0


class FamilyMatch(BaseModel):
    """Which family a theme maps to, how strongly, and why."""

    family: str
    score: float
    matched_words: list[str]
    fallback: bool


def words(text: str) -> list[str]:
    """Lower-cased, lightly stemmed words of `text` without stop words."""
    out = []
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in STOP_WORDS:
            continue
        for suffix in ("ing", "es", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                break
        out.append(word)
    return out


def _family_text(family: Family) -> Counter:
    counts = Counter(words(f"{family.key.replace('_', ' ')} {family.title} {family.description}"))
    for keyword in family.keywords:
        for word in words(keyword):
            counts[word] += KEYWORD_WEIGHT
    return counts


def _trigrams(text: str) -> set[str]:
    padded = f" {' '.join(text.lower().split())} "
    return {padded[i : i + TRIGRAM] for i in range(len(padded) - TRIGRAM + 1)}


class ThemeMatcher:
    """TF-IDF matching of themes against the family catalogue (see the module docstring)."""

    def __init__(self, families: dict[str, Family] = FAMILIES) -> None:
        self.families = families
        self.texts = {key: _family_text(family) for key, family in families.items()}
        document_frequency = Counter(word for text in self.texts.values() for word in text)
        self.idf = {word: math.log(1 + len(families) / df) for word, df in document_frequency.items()}

    def match(self, theme: str) -> FamilyMatch:
        theme_words = set(words(theme))
        best: FamilyMatch | None = None
        for key, text in self.texts.items():
            matched = sorted(w for w in theme_words if w in text)
            score = sum(text[w] * self.idf[w] for w in matched)
            if best is None or score > best.score:
                best = FamilyMatch(family=key, score=score, matched_words=matched, fallback=False)
        if best is not None and best.score > 0:
            return best
        theme_grams = _trigrams(theme)

        def similarity(key: str) -> float:
            family = self.families[key]
            grams = _trigrams(f"{family.title} {' '.join(family.keywords)} {family.description}")
            return len(theme_grams & grams) / max(len(theme_grams | grams), 1)

        closest = max(self.families, key=similarity)
        return FamilyMatch(family=closest, score=similarity(closest), matched_words=[], fallback=True)


def _draw_parameters(family: Family, rng: random.Random, level: float) -> FamilyParams:
    model = family.params_model
    hardness = model.difficulty_parameters()
    values: dict[str, float] = {}
    for name in model.varied_parameters():
        low, high = model.bounds_of(name)
        if name in hardness:
            position = level + rng.uniform(-LEVEL_NOISE, LEVEL_NOISE)
            position = min(max(position, 0.0), 1.0)
            if hardness[name] is Hardness.LOWER:
                position = 1.0 - position
        else:
            position = rng.random()
        values[name] = low + position * (high - low)
    values["variation"] = rng.uniform(*VARIATION_RANGE)
    values["payload_shape_index"] = PAYLOAD_SHAPES.index(rng.choice(family.payload_shapes))
    values["payload_material_index"] = rng.randrange(len(PAYLOAD_MATERIALS))
    values["fixture_material_index"] = rng.randrange(len(FIXTURE_MATERIALS))
    return model(**values)


def _payload_text(params: FamilyParams) -> str:
    size = params.payload_size
    shape = params.payload_shape.value
    detail = {"sphere": f"radius {size:.0f} mm", "box": f"{2 * size:.0f} mm wide", "cylinder": f"radius {size:.0f} mm"}
    low, high = size * (1 - params.variation), size * (1 + params.variation)
    return f"{params.payload_material} {shape}, {detail[shape]} (size {low:.0f}-{high:.0f} mm with the seed)"


class OfflinePlanner:
    """Planner role without a model: theme -> family by TF-IDF, parameters from a seeded RNG."""

    name = "offline"

    def __init__(self, families: dict[str, Family] = FAMILIES) -> None:
        self.families = families
        self.matcher = ThemeMatcher(families)
        self.redraws: Counter = Counter()  # re-plans so far per (theme, seed): each one draws afresh

    def plan(self, theme: str, seed: int, feedback: str | None = None) -> Plan:
        match = self.matcher.match(theme)
        family = self.families[match.family]
        key = f"{' '.join(theme.lower().split())}|{seed}"
        if feedback:
            self.redraws[key] += 1
            key += f"|redraw {self.redraws[key]}"
        rng = random.Random(key)
        level = rng.uniform(*LEVEL_RANGE)
        params = _draw_parameters(family, rng, level)
        source = family.render_script(params)
        intent = difficulty_score(build_spec(source, NOMINAL_SEED, NOMINAL_SCALE))
        if match.fallback:
            notes = (
                f"theme matched no family keyword; closest family by character similarity is {family.key!r} "
                f"(trigram overlap {match.score:.2f})"
            )
        else:
            notes = f"family {family.key!r} matched on {', '.join(match.matched_words)} (score {match.score:.2f})"
        notes += f"; difficulty level {level:.2f}"
        if feedback:
            notes += f"; redrawn after feedback: {feedback}"
        return Plan(
            theme=theme,
            family=family.key,
            puzzle_idea=family.puzzle,
            fixtures=[PlannedFixture(label=label, description=text) for label, text in family.fixture_labels],
            payload=_payload_text(params),
            zones=family.zones,
            randomization=[
                RandomizedDimension(
                    name=name,
                    low=getattr(params, name) * (1 - params.variation),
                    high=getattr(params, name) * (1 + params.variation),
                    unit=family.unit_of(name),
                    scales_with_scale=family.unit_of(name) == "mm",
                )
                for name in params.varied_parameters()
            ],
            scale_policy="every length in mm is multiplied by scale; ratios and angles are not",
            difficulty_intent=intent,
            parameters={name: float(value) for name, value in params.model_dump().items()},
            notes=notes,
        )
