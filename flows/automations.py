"""Prefect automations that watch the nightly, created in one command:

    python -m flows.automations --notify-block slack-webhook/ops [--stuck-after-hours 6]

`benchgen-nightly-failed` notifies the block when a run of `build-dataset/nightly` fails or crashes;
`benchgen-nightly-stuck` notifies it when such a run is still running after the limit. Any Prefect
notification block works (Slack, e-mail, Microsoft Teams, a custom webhook...). Run it after
`prefect deploy --all`; running it again replaces both automations.
"""

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from prefect.automations import Automation, EventTrigger, Posture, SendNotification
from prefect.client.orchestration import get_client
from prefect.exceptions import ObjectNotFound

NIGHTLY_DEPLOYMENT = "build-dataset/nightly"
FAILED_AUTOMATION = "benchgen-nightly-failed"
STUCK_AUTOMATION = "benchgen-nightly-stuck"
DEFAULT_STUCK_AFTER_H = 6.0  # h; a nightly of the default size takes well under one hour on 2 cores
USAGE_EXIT = 2  # as the benchgen CLI
FAILED_STATES = frozenset({"prefect.flow-run.Failed", "prefect.flow-run.Crashed"})
FINAL_STATES = frozenset(
    f"prefect.flow-run.{state}" for state in ("Completed", "Failed", "Crashed", "Cancelled")
)
# Notification texts; Prefect fills them in from the run that triggered the automation.
FAILED_SUBJECT = "benchgen nightly {{ flow_run.name }}: {{ flow_run.state.name }}"
FAILED_BODY = (
    "The nightly dataset build {{ flow_run.name }} ended {{ flow_run.state.name }}: "
    "{{ flow_run.state.message }}\n{{ flow_run|ui_url }}"
)
STUCK_SUBJECT = "benchgen nightly {{ flow_run.name }} still running"
STUCK_BODY = (
    "The nightly dataset build {{ flow_run.name }} has been running for more than {limit}; "
    "look at its task runs and logs, or cancel it.\n{{ flow_run|ui_url }}"
)


class AutomationSetupError(RuntimeError):
    """The deployment or the notification block the automations need is not on the server."""


def nightly_automations(deployment_id: UUID, block_id: UUID, stuck_after: timedelta) -> list[Automation]:
    """The two automations of a nightly deployment, notifying one block."""
    runs_of_the_nightly = {
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "match_related": {"prefect.resource.id": f"prefect.deployment.{deployment_id}"},
        "for_each": {"prefect.resource.id"},
    }
    return [
        Automation(
            name=FAILED_AUTOMATION,
            description=f"Notify when a run of {NIGHTLY_DEPLOYMENT} fails or crashes.",
            trigger=EventTrigger(
                **runs_of_the_nightly, expect=set(FAILED_STATES), posture=Posture.Reactive, threshold=1
            ),
            actions=[SendNotification(block_document_id=block_id, subject=FAILED_SUBJECT, body=FAILED_BODY)],
        ),
        Automation(
            name=STUCK_AUTOMATION,
            description=f"Notify when a run of {NIGHTLY_DEPLOYMENT} is still running after {stuck_after}.",
            trigger=EventTrigger(
                **runs_of_the_nightly,
                after={"prefect.flow-run.Running"},
                expect=set(FINAL_STATES),
                posture=Posture.Proactive,
                threshold=1,
                within=stuck_after,
            ),
            actions=[
                SendNotification(
                    block_document_id=block_id,
                    subject=STUCK_SUBJECT,
                    body=STUCK_BODY.replace("{limit}", str(stuck_after)),
                )
            ],
        ),
    ]


def create_nightly_automations(notify_block: str, stuck_after: timedelta) -> list[Automation]:
    """Replace both automations on the server named by PREFECT_API_URL; return them as created."""
    block_type, _, block_name = notify_block.partition("/")
    if not block_name:
        raise AutomationSetupError(
            f"--notify-block {notify_block!r} must be 'block-type/name', e.g. slack-webhook/ops "
            "(`prefect block ls` lists them)"
        )
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(NIGHTLY_DEPLOYMENT)
        except ObjectNotFound:
            raise AutomationSetupError(
                f"no deployment {NIGHTLY_DEPLOYMENT} on this Prefect server; run `prefect deploy --all` first"
            ) from None
        try:
            block = client.read_block_document_by_name(block_name, block_type, include_secrets=False)
        except ObjectNotFound:
            raise AutomationSetupError(
                f"no notification block {notify_block!r} on this Prefect server; create it in the UI "
                "(Blocks) or with `prefect block create`, then run this again"
            ) from None
        for name in (FAILED_AUTOMATION, STUCK_AUTOMATION):
            for existing in client.read_automations_by_name(name):
                client.delete_automation(existing.id)
    return [automation.create() for automation in nightly_automations(deployment.id, block.id, stuck_after)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.automations", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--notify-block", required=True, help="notification block as type/name, e.g. slack-webhook/ops"
    )
    parser.add_argument(
        "--stuck-after-hours",
        type=float,
        default=DEFAULT_STUCK_AFTER_H,
        help=f"notify when a nightly still runs after this many hours (default {DEFAULT_STUCK_AFTER_H:g})",
    )
    args = parser.parse_args(argv)
    if args.stuck_after_hours <= 0:
        parser.error(f"--stuck-after-hours must be positive, got {args.stuck_after_hours}")
    try:
        created = create_nightly_automations(args.notify_block, timedelta(hours=args.stuck_after_hours))
    except AutomationSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(USAGE_EXIT)
    for automation in created:
        print(f"created automation {automation.name} ({automation.id})")


if __name__ == "__main__":
    main()
