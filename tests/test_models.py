"""The stored models validate what they are given and keep typed JSON values typed."""

import pytest
from pydantic import ValidationError

from benchgen.codes import FailureCode
from benchgen.decisions import ReviewDecision
from benchgen.kit.spec import ScenarioSpec
from benchgen.measures.difficulty import DifficultyTier, difficulty_tier
from benchgen.models import (
    AssetMeta,
    BenchmarkAsset,
    GenerationSession,
    JournalEntry,
    Provenance,
    SessionStatus,
)
from benchgen.versions import CODE_VERSION, KIT_VERSION, VALIDATOR_VERSION


def error_fields(exc: ValidationError) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in exc.errors()}


def test_session_defaults_and_typed_json(make_session):
    session = make_session(
        journal=[{"stage": "plan", "message": "planned a gap of 80-160 mm"}],
        review_decisions=[{"verdict": "APPROVE", "reasons": ["clear goal"], "reviewer": "offline"}],
        provenance={"seeds": [0, 1, 2], "scales": [1.0]},
    )
    assert session.status is SessionStatus.PLANNING
    assert isinstance(session.journal[0], JournalEntry)
    assert isinstance(session.review_decisions[0], ReviewDecision)
    assert session.provenance == Provenance(seeds=[0, 1, 2], scales=[1.0])
    assert session.provenance.code_version == CODE_VERSION
    assert session.provenance.validator_version == VALIDATOR_VERSION
    assert session.created_at.tzinfo is not None


def test_session_rejects_bad_data_naming_each_field(make_session):
    with pytest.raises(ValidationError) as caught:
        make_session(theme="", status="done", coder_attempts=-1, cost_usd=-0.5)
    assert error_fields(caught.value) == {"theme", "status", "coder_attempts", "cost_usd"}
    assert "Input should be 'planning', 'coding'" in str(caught.value)


def test_session_rejects_malformed_review_decision(make_session):
    with pytest.raises(ValidationError) as caught:
        make_session(review_decisions=[{"verdict": "MAYBE", "reasons": [], "reviewer": "offline"}])
    assert error_fields(caught.value) == {"review_decisions.0.verdict", "review_decisions.0.reasons"}


def test_asset_validates_definition_and_metadata(make_asset):
    asset = make_asset()
    assert isinstance(asset.definition, ScenarioSpec)
    assert asset.definition.fixture("left_deck").material == "abs"
    assert asset.meta == AssetMeta(cost_targets={"max_cost_usd": 30}, tags=["gap"])
    assert asset.variants[0].metrics.settle_time_s == 0.4


def test_asset_provenance_and_variant_failure_codes_are_typed(make_asset):
    asset = make_asset(
        provenance={"seeds": [0, 1], "scales": [0.75, 1.0]},
        variants=[{"seed": 1, "scale": 0.75, "ok": False, "failure_codes": ["NOT_SETTLED"]}],
    )
    assert asset.provenance == Provenance(seeds=[0, 1], scales=[0.75, 1.0])
    assert asset.provenance.kit_version == KIT_VERSION
    assert asset.variants[0].failure_codes == [FailureCode.NOT_SETTLED]
    assert make_asset().provenance == Provenance()  # versions of the running code, no variants
    with pytest.raises(ValidationError) as caught:
        make_asset(variants=[{"seed": 0, "scale": 1.0, "ok": False, "failure_codes": ["NO_SUCH_CODE"]}])
    assert error_fields(caught.value) == {"variants.0.failure_codes.0"}


@pytest.mark.parametrize("score", [-0.01, 1.01])
def test_asset_rejects_difficulty_outside_unit_interval(make_asset, score):
    with pytest.raises(ValidationError) as caught:
        make_asset(difficulty_score=score)
    assert error_fields(caught.value) == {"difficulty_score"}


@pytest.mark.parametrize("score", [0.0, 1.0])
def test_asset_accepts_difficulty_at_the_ends(make_asset, score):
    assert make_asset(difficulty_score=score).difficulty_score == score


def test_asset_rejects_bad_sha_variant_and_definition(make_asset):
    with pytest.raises(ValidationError) as caught:
        make_asset(
            script_sha256="not-a-sha",
            variants=[{"seed": 0, "scale": 3.0, "ok": True}],
            definition={"fixtures": []},
            meta={"cost_targets": {"max_cost_usd": -1}},
        )
    fields = error_fields(caught.value)
    expected = {"script_sha256", "variants.0.scale", "definition.payload", "meta.cost_targets.max_cost_usd"}
    assert expected <= fields


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        (0.0, DifficultyTier.EASY),
        (0.3, DifficultyTier.EASY),
        (0.5, DifficultyTier.MEDIUM),
        (0.9, DifficultyTier.HARD),
    ],
)
def test_tier_is_the_band_of_the_score(make_asset, score, tier):
    assert make_asset(difficulty_score=score).tier is tier is difficulty_tier(score)


def test_a_tier_stored_by_older_rows_is_ignored(make_asset):
    """Rows written before the tier was computed carry `meta.tier` (always medium); the score decides."""
    asset = make_asset(difficulty_score=0.9, meta={"tier": "medium", "tags": ["gap"]})
    assert asset.tier is DifficultyTier.HARD and "tier" not in asset.meta.model_dump()


def test_difficulty_tier_refuses_scores_outside_the_unit_interval():
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        difficulty_tier(1.5)


def test_plain_constructor_skips_validation_so_create_is_the_way():
    """sqlmodel table models do not validate in __init__; `create` does (this guards the docstring's claim)."""
    unchecked = BenchmarkAsset(difficulty_score=5.0)
    assert unchecked.difficulty_score == 5.0
    with pytest.raises(ValidationError):
        BenchmarkAsset.create(difficulty_score=5.0)
    with pytest.raises(ValidationError):
        GenerationSession.model_validate({"theme": "x"})


def test_session_status_final_states():
    assert {s for s in SessionStatus if s.is_final} == {
        SessionStatus.ACCEPTED,
        SessionStatus.REJECTED,
        SessionStatus.FAILED,
    }
