"""The LLM roles with the real langchain-openai client against a scripted OpenAI-compatible server on
loopback: each misbehaviour of a real model or server, and how the roles recover or fail."""

import json
import socket

import pytest
from scripted_openai import (
    GOOD_SCRIPT,
    GOOD_WITNESS,
    PLAN,
    TOKENS,
    Answer,
    Role,
    ScriptedOpenAI,
    coder_answer,
    serving,
)

from benchgen.agents.llm import LLMCoder, LLMPlanner, LLMReviewer, ModelConfig, llm_roles
from benchgen.agents.model_client import OutputMode
from benchgen.agents.replies import MAX_REPLY_CHARS
from benchgen.agents.roles import RoleFailure
from benchgen.agents.schemas import ReviewEvidence, ScriptDraft
from benchgen.agents.transport import ModelAccessError, ModelUnavailable, ModelUnreachable, RetryPolicy
from benchgen.decisions import Plan, ReviewVerdict
from benchgen.errors import ConfigError
from benchgen.validation.report import ValidationReport

TIMEOUT_S = 1.0  # s per request in these tests; a scripted hang lasts longer
HANG_S = 3 * TIMEOUT_S
FAST_RETRY = RetryPolicy(attempts=3, backoff_s=0.05)  # short backoff: the behaviour, not the wait, is tested
RETRY_AFTER_S = 1  # what the scripted 429 asks for
TOKENS_PER_REPLY = sum(TOKENS)
THEME = "ball must cross a gap"
NOT_A_SCRIPT = "I would build two decks with a gap between them and put a ball on the left one."
NO_BUILD = (
    "```python\nfrom benchgen.kit import Scenario\n\n\ndef make(seed, scale=1.0):\n    return None\n```"
)

BROKEN_WITNESS = GOOD_WITNESS.replace("def solve(scenario)", "def solve(scenario")  # a syntax error


def roles(server: ScriptedOpenAI, **changes) -> tuple[LLMPlanner, LLMCoder, LLMReviewer]:
    config = ModelConfig(
        model="openai:stub", base_url=server.url, timeout_s=TIMEOUT_S, retry=FAST_RETRY, **changes
    )
    return llm_roles(config)


def plan_of(server: ScriptedOpenAI) -> Plan:
    planner, _, _ = roles(server)
    return planner.plan(THEME, 0)


def a_plan() -> Plan:
    return Plan(theme=THEME, **PLAN)


def review(server: ScriptedOpenAI):
    _, _, reviewer = roles(server)
    evidence = ReviewEvidence(report=ValidationReport(script="scenario.py", ok=True))
    return reviewer.review(a_plan(), ScriptDraft(source=GOOD_SCRIPT, attempt=1), evidence)


def write(server: ScriptedOpenAI) -> ScriptDraft:
    _, coder, _ = roles(server)
    return coder.write(a_plan(), 1)


# --- bad replies go back to the same role ------------------------------------------------------------------


def test_a_plan_breaking_its_schema_is_sent_back_with_the_error_and_repaired():
    with serving(
        ScriptedOpenAI({Role.PLANNER: [Answer(arguments={**PLAN, "fixtures": ["left deck", "right deck"]})]})
    ) as server:
        plan = plan_of(server)

        assert plan.fixtures[0].label == "left_deck"
        first, second = server.of(Role.PLANNER)
        assert first.mode == second.mode == "json_schema"
        assert "fixtures.0: Input should be a valid dictionary" in second.text()  # the error goes back
        assert "left deck" in second.text()  # with the bad reply itself
        assert plan.usage.total_tokens == 2 * TOKENS_PER_REPLY  # both replies count


def test_json_inside_prose_is_read_without_asking_again():
    with serving(
        ScriptedOpenAI(
            {Role.PLANNER: [Answer(content=f"Here is the plan:\n{json.dumps(PLAN)}\nIt fits the theme.")]}
        )
    ) as server:
        assert plan_of(server).family == "gap_crossing"
        assert len(server.of(Role.PLANNER)) == 1


def test_an_empty_plan_is_refused_and_repaired():
    with serving(
        ScriptedOpenAI(
            {Role.PLANNER: [Answer(arguments={**PLAN, "puzzle_idea": "  ", "payload": "", "fixtures": []})]}
        )
    ) as server:
        plan = plan_of(server)

        assert plan.puzzle_idea == PLAN["puzzle_idea"]
        repair = server.of(Role.PLANNER)[1].text()
        for field in (
            "puzzle_idea: String should have at least 1 character",
            "payload:",
            "fixtures: List should have",
        ):
            assert field in repair


def test_a_plan_that_always_breaks_its_schema_fails_the_role_in_one_line():
    with serving(
        ScriptedOpenAI({Role.PLANNER: [Answer(arguments={**PLAN, "fixtures": ["deck"]})] * 3})
    ) as server:
        with pytest.raises(RoleFailure) as failed:
            plan_of(server)

        message = str(failed.value)
        assert "\n" not in message
        assert message.startswith("planner (openai:stub) gave no usable reply in 3 tries (reply_attempts): ")
        assert "fixtures.0: Input should be a valid dictionary" in message
        assert failed.value.usage.total_tokens == 3 * TOKENS_PER_REPLY
        assert len(server.of(Role.PLANNER)) == 3


@pytest.mark.parametrize(
    "bad_reply,told",
    [
        (Answer(content=f"Here it is: {GOOD_SCRIPT}"), "has no ```python fenced block"),
        (
            Answer(content=f"```python\n{GOOD_SCRIPT[: len(GOOD_SCRIPT) // 2]}", finish_reason="length"),
            "cut off",
        ),
        (Answer(content=f"```python\n{GOOD_SCRIPT[: len(GOOD_SCRIPT) // 2]}"), "cut off"),
        (Answer(content=f"```python\n{NOT_A_SCRIPT}\n```"), "the script is not valid Python: line 1"),
        (Answer(content=NO_BUILD), "defines no top-level `def build("),
        (
            Answer(content="```python\n" + "#" * MAX_REPLY_CHARS + "\n```"),
            f"more than the limit of {MAX_REPLY_CHARS}",
        ),
        (Answer(content=f"```python\n{GOOD_SCRIPT}```"), "the reply has no witness"),
        (Answer(content=GOOD_SCRIPT), "the reply has no witness"),
        (Answer(content=coder_answer(GOOD_SCRIPT, BROKEN_WITNESS)), "the witness is not valid Python"),
        (
            Answer(content=f"```python\n{GOOD_SCRIPT}\n{GOOD_WITNESS}```"),
            "one block defines both `build` and `solve`",
        ),
    ],
    ids=[
        "prose_and_code_without_fence",
        "cut_off_at_the_token_limit",
        "fence_never_closed",
        "not_python",
        "no_build",
        "too_long",
        "script_without_witness",
        "bare_script_without_witness",
        "witness_not_python",
        "script_and_witness_in_one_block",
    ],
)
def test_a_degenerate_script_reply_is_sent_back_and_repaired(bad_reply, told):
    with serving(ScriptedOpenAI({Role.CODER: [bad_reply]})) as server:
        draft = write(server)

        assert (draft.source, draft.witness) == (GOOD_SCRIPT, GOOD_WITNESS)
        first, second = server.of(Role.CODER)
        assert told in second.text() and told not in first.text()
        assert draft.usage.total_tokens == 2 * TOKENS_PER_REPLY


def test_the_witness_is_found_whichever_block_comes_first():
    swapped = f"The witness, then the script.\n```python\n{GOOD_WITNESS}```\n```python\n{GOOD_SCRIPT}```"
    with serving(ScriptedOpenAI({Role.CODER: [Answer(content=swapped)]})) as server:
        draft = write(server)
        assert (draft.source, draft.witness) == (GOOD_SCRIPT, GOOD_WITNESS)
        assert len(server.of(Role.CODER)) == 1


def test_a_review_without_reasons_or_feedback_is_sent_back():
    with serving(
        ScriptedOpenAI(
            {
                Role.REVIEWER: [
                    Answer(arguments={"verdict": "REJECT_CODE", "reasons": ["too easy"], "feedback": ""}),
                    Answer(arguments={"verdict": "APPROVE", "reasons": [], "feedback": ""}),
                ]
            }
        )
    ) as server:
        decision = review(server)

        assert decision.verdict is ReviewVerdict.APPROVE
        requests = server.of(Role.REVIEWER)
        assert len(requests) == 3
        assert "a REJECT_CODE verdict needs feedback" in requests[1].text()
        assert "reasons: List should have at least 1 item" in requests[2].text()


# --- structured output negotiated -----------------------------------------------------------------------


def test_a_refused_json_schema_falls_back_once_and_the_session_remembers():
    with serving(ScriptedOpenAI({}, refuse_json_schema=True)) as server:
        planner, _, reviewer = roles(server)
        planner.plan(THEME, 0)
        evidence = ReviewEvidence(report=ValidationReport(script="scenario.py", ok=True))
        reviewer.review(a_plan(), ScriptDraft(source=GOOD_SCRIPT, attempt=1), evidence)

        assert [r.mode for r in server.of(Role.PLANNER)] == ["json_schema", "tool_calling"]
        assert [r.mode for r in server.of(Role.REVIEWER)] == ["tool_calling"]  # remembered for the session


@pytest.mark.parametrize("mode", [OutputMode.JSON_MODE, OutputMode.FENCED_TEXT])
def test_modes_that_carry_the_schema_in_the_prompt(mode):
    with serving(ScriptedOpenAI()) as server:
        planner, _, _ = roles(server, output_mode=mode)
        assert planner.plan(THEME, 0).family == "gap_crossing"
        [request] = server.of(Role.PLANNER)
        assert request.mode == ("json_mode" if mode is OutputMode.JSON_MODE else "text")
        instruction = request.body["messages"][-1]["content"]  # the JSON schema is in the prompt
        assert "matching this JSON schema" in instruction and '"puzzle_idea"' in instruction


# --- server errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status,told",
    [(401, "refused the API key"), (403, "refused the API key"), (404, "does not know model 'openai:stub'")],
)
def test_a_wrong_key_or_unknown_model_fails_the_check_at_once(status, told):
    with serving(ScriptedOpenAI({Role.CHECK: [Answer(status=status, error="scripted refusal")]})) as server:
        planner, _, _ = roles(server)
        with pytest.raises(ModelAccessError) as refused:
            planner.client.check()

        assert isinstance(refused.value, ConfigError)  # the CLI's exit status 2
        message = str(refused.value)
        assert told in message and server.url in message and f"HTTP {status}: scripted refusal" in message
        assert len(server.received) == 1  # never retried


def test_a_rate_limit_waits_as_long_as_retry_after_says():
    with serving(
        ScriptedOpenAI({Role.PLANNER: [Answer(status=429, headers={"Retry-After": str(RETRY_AFTER_S)})]})
    ) as server:
        assert plan_of(server).family == "gap_crossing"
        first, second = server.of(Role.PLANNER)
        assert second.at - first.at >= RETRY_AFTER_S


def test_server_errors_are_retried_with_backoff():
    with serving(ScriptedOpenAI({Role.PLANNER: [Answer(status=500), Answer(status=502)]})) as server:
        assert plan_of(server).family == "gap_crossing"
        assert len(server.of(Role.PLANNER)) == 3


def test_server_errors_past_every_try_end_in_one_line():
    with serving(ScriptedOpenAI({Role.PLANNER: [Answer(status=500)] * FAST_RETRY.attempts})) as server:
        with pytest.raises(ModelUnavailable) as failed:
            plan_of(server)
        assert f"failed {FAST_RETRY.attempts} tries in a row, the last with server error (HTTP 500" in str(
            failed.value
        )


def test_a_hang_past_the_timeout_is_retried():
    with serving(ScriptedOpenAI({Role.PLANNER: [Answer(delay_s=HANG_S)]})) as server:
        assert plan_of(server).family == "gap_crossing"
        first, second = server.of(Role.PLANNER)
        assert second.at - first.at >= TIMEOUT_S


def test_connection_refused_names_the_url():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    planner, _, _ = llm_roles(ModelConfig(model="openai:stub", base_url=url, retry=FAST_RETRY))
    with pytest.raises(ModelUnreachable) as unreachable:
        planner.client.check()
    assert f"cannot connect to the model server at {url} after {FAST_RETRY.attempts} tries" in str(
        unreachable.value
    )
