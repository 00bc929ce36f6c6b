"""The offline Reviewer: judge a validated script from the machine report, the render metrics and geometry.

Checks decide validity, so a report with ok=False is always sent back to the Coder. Beyond it the
reviewer asks what checks do not: does every seed give a different scene, do the renders show the
payload and the goal in a non-degenerate scene, is the difficulty of the built variants within
DIFFICULTY_BAND of the plan's intent, and is the benchmark a near duplicate of one this reviewer has
already approved. It builds the report's variants in this process to measure them: only scripts the
sandboxed validator already passed get that far.
"""

from collections import Counter
from collections.abc import Callable

from benchgen.agents.schemas import ReviewEvidence, ScriptDraft
from benchgen.decisions import Plan, ReviewDecision, ReviewVerdict
from benchgen.kit.spec import ScenarioSpec
from benchgen.measures.difficulty import difficulty_score
from benchgen.measures.fingerprint import GeometryFingerprint, fingerprint, is_near_duplicate
from benchgen.offline.build import build_spec
from benchgen.offline.coder import RepairMove
from benchgen.render.types import RenderBundle

DIFFICULTY_BAND = 0.15  # largest |mean variant difficulty - plan intent| the reviewer accepts
MIN_FIXTURE_FRACTION = 0.01  # share of pixels fixtures must cover in a view for the scene to be visible
MAX_FIXTURE_FRACTION = 0.97  # share of pixels above which a view shows nothing but fixtures (camera inside)
MIN_PAYLOAD_FRACTION = 1e-4  # share of pixels the payload must cover in a view that claims it is in frame
REVIEWER_NAME = "offline"


def _render_problems(bundle: RenderBundle) -> list[str]:
    """What the renders show wrong; empty when the payload and goal are seen in a visible scene."""
    if not bundle.metrics:
        return ["the render bundle has no view metrics"]
    problems = []
    if not any(v.payload_in_frame and v.payload_fraction >= MIN_PAYLOAD_FRACTION for v in bundle.metrics):
        problems.append("the payload is in frame in none of the views " + ", ".join(v.view for v in bundle.metrics))
    if not any(v.goal_in_frame for v in bundle.metrics):
        problems.append("the goal is in frame in none of the views")
    for view in bundle.metrics:
        if view.fixture_fraction < MIN_FIXTURE_FRACTION:
            problems.append(f"view {view.view!r}: fixtures cover {view.fixture_fraction:.1%} of the image (scene degenerate?)")
        elif view.fixture_fraction > MAX_FIXTURE_FRACTION:
            problems.append(f"view {view.view!r}: fixtures cover {view.fixture_fraction:.1%} of the image")
    return problems


class OfflineReviewer:
    """Reviewer role without a model; remembers the fingerprints of what it approved."""

    name = REVIEWER_NAME
    sees_images = False  # it reads the render metrics, not the pictures

    def __init__(
        self,
        difficulty_band: float = DIFFICULTY_BAND,
        build: Callable[[str, int, float], ScenarioSpec] = build_spec,
    ) -> None:
        if not 0 < difficulty_band <= 1:
            raise ValueError(f"difficulty_band must be in (0, 1], got {difficulty_band}")
        self.difficulty_band = difficulty_band
        self.build = build
        self.approved: list[GeometryFingerprint] = []

    def review(self, plan: Plan, draft: ScriptDraft, evidence: ReviewEvidence) -> ReviewDecision:
        report = evidence.report
        if not report.ok:
            counts = Counter(f.code.value for f in report.failures)
            reasons = [f"validation failed: {code} x{n}" for code, n in counts.most_common()]
            feedback = "; ".join(dict.fromkeys(f.message for f in report.failures[:3]))
            return self._decide(ReviewVerdict.REJECT_CODE, reasons or ["validation failed"], feedback)

        hashes_by_scale: dict[float, list[str | None]] = {}
        for variant in report.variants:
            hashes_by_scale.setdefault(variant.scale, []).append(variant.metrics.geometry_hash)
        for scale, hashes in hashes_by_scale.items():
            if len(hashes) > 1 and len(set(hashes)) < len(hashes):
                return self._decide(
                    ReviewVerdict.REJECT_CODE,
                    [f"at scale {scale:g}, {len(hashes)} seeds give only {len(set(hashes))} distinct geometries"],
                    f"vary more with the seed; repair: {RepairMove.INCREASE_VARIATION.value}",
                )

        reasons = [f"validation passed for {len(report.variants)} variants"]
        if evidence.bundle is None:
            reasons.append("no renders: judged on the machine report and geometry only")
        else:
            problems = _render_problems(evidence.bundle)
            if problems:
                return self._decide(ReviewVerdict.REJECT_PLAN, problems, "re-plan the layout so that the renders show it")
            reasons.append(f"payload and goal in frame in {len(evidence.bundle.metrics)} views")

        specs = [  # as validation built them; a report restored from a checkpoint kept no builds
            v.built.spec if v.built is not None else self.build(draft.source, v.seed, v.scale)
            for v in sorted(report.variants, key=lambda v: (v.seed, v.scale))
        ] or [self.build(draft.source, 0, 1.0)]
        scores = [difficulty_score(spec) for spec in specs]
        mean = sum(scores) / len(scores)
        if abs(mean - plan.difficulty_intent) > self.difficulty_band:
            return self._decide(
                ReviewVerdict.REJECT_PLAN,
                [
                    (
                        f"difficulty {mean:.2f} (variants {min(scores):.2f}-{max(scores):.2f}) is outside "
                        f"{plan.difficulty_intent:.2f} +- {self.difficulty_band:.2f}, the plan's intent"
                    )
                ],
                "re-plan with parameters whose difficulty matches the intent",
            )
        reasons.append(f"difficulty {mean:.2f} within {self.difficulty_band:.2f} of the intent {plan.difficulty_intent:.2f}")

        current = fingerprint(specs[0])
        if any(is_near_duplicate(current, seen) for seen in self.approved):
            return self._decide(
                ReviewVerdict.REJECT_PLAN,
                ["near duplicate of a benchmark this reviewer already approved"],
                "re-plan with different parameters",
            )
        self.approved.append(current)
        reasons.append("not a near duplicate of earlier approvals")
        return self._decide(ReviewVerdict.APPROVE, reasons, "")

    def _decide(self, verdict: ReviewVerdict, reasons: list[str], feedback: str) -> ReviewDecision:
        return ReviewDecision(verdict=verdict, reasons=reasons, feedback=feedback, reviewer=self.name)
