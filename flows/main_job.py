"""The main job, `benchgen build` (or `python -m flows.build_dataset`): the flow with Prefect's temporary
server when no server is configured, parameters and services checked before anything starts."""

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from prefect.settings import PREFECT_API_URL, temporary_settings

from benchgen import pipeline
from benchgen.contract import SCALE_RANGE
from benchgen.dataset.gate import MIN_ACCEPTED_PER_THEME, MIN_DIFFICULTY_STDEV
from benchgen.errors import BenchgenError
from flows.build_dataset import build_dataset
from flows.parameters import check_parameters, load_settings
from flows.prefect_setup import guard_temporary_server, local_run_settings, wait_until_recorded
from flows.reporting import how_to_look

USAGE_EXIT = 2  # exit status for a benchgen error, as the benchgen CLI uses


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line and exit status 2, like every benchgen error."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_EXIT, f"error: {message}; see `{self.prog} --help`\n")


def int_list(text: str) -> list[int]:
    return [int(item) for item in text.split(",") if item.strip()]


def float_list(text: str) -> list[float]:
    return [float(item) for item in text.split(",") if item.strip()]


def main(argv: Sequence[str] | None = None, prog: str = "python -m flows.build_dataset") -> None:
    parser = OneLineParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--theme", action="append", dest="themes", help="a theme (repeat for several)")
    parser.add_argument("--themes-file", help="file with one theme per line")
    parser.add_argument("--seeds-per-theme", type=int, default=pipeline.DEFAULT_SEEDS_PER_THEME)
    parser.add_argument(
        "--variant-seeds",
        type=int_list,
        default=list(pipeline.DEFAULT_VARIANT_SEEDS),
        help="comma-separated seeds every benchmark is validated on, e.g. 0,1,2",
    )
    parser.add_argument(
        "--scales",
        type=float_list,
        default=list(pipeline.DEFAULT_SCALES),
        help=f"comma-separated scales in {SCALE_RANGE}, e.g. 0.75,1.0",
    )
    parser.add_argument("--min-accepted-per-theme", type=int, default=MIN_ACCEPTED_PER_THEME)
    parser.add_argument(
        "--min-difficulty-stdev",
        type=float,
        default=MIN_DIFFICULTY_STDEV,
        help="0 for no difficulty-spread requirement",
    )
    parser.add_argument(
        "--require-witness",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="accept only benchmarks whose witness solves every variant (default: required)",
    )
    parser.add_argument(
        "--model",
        default=None,
        help="'offline' or an LLM model as 'provider:name' (default: BENCHGEN_LLM_MODEL, else offline)",
    )
    parser.add_argument("--name", default=pipeline.DEFAULT_DATASET_NAME, help="dataset name")
    parser.add_argument("--version", default=None, help="dataset version (default: today's UTC date)")
    parser.add_argument(
        "--store-url", default=None, help="file:///path or s3://bucket/prefix (default: settings)"
    )
    parser.add_argument("--force", action="store_true", help="replace an already published version")
    parser.add_argument(
        "--seal-witnesses",
        action="store_true",
        help="publish each witness's hash and numbers only; its files stay in <store>/<name>/_witnesses/",
    )
    args = parser.parse_args(argv)
    try:
        # Before anything starts (the temporary server included): every parameter, the store, the database.
        settings = load_settings(None, args.store_url)
        check_parameters(
            themes=args.themes,
            themes_file=args.themes_file,
            seeds_per_theme=args.seeds_per_theme,
            variant_seeds=args.variant_seeds,
            scales=args.scales,
            model=args.model or settings.llm_model,
            dataset_name=args.name,
            dataset_version=args.version,
            force=args.force,
            seal_witnesses=args.seal_witnesses,
            min_accepted_per_theme=args.min_accepted_per_theme,
            min_difficulty_stdev=args.min_difficulty_stdev,
            require_witness=args.require_witness,
        )
        pipeline.probe_services(settings)
        with temporary_settings(updates=local_run_settings()):
            temporary_server = not PREFECT_API_URL.value()
            if temporary_server:
                guard_temporary_server()
            state = build_dataset(
                themes=args.themes,
                themes_file=args.themes_file,
                seeds_per_theme=args.seeds_per_theme,
                variant_seeds=args.variant_seeds,
                scales=args.scales,
                min_accepted_per_theme=args.min_accepted_per_theme,
                min_difficulty_stdev=args.min_difficulty_stdev,
                require_witness=args.require_witness,
                model=args.model,
                dataset_name=args.name,
                dataset_version=args.version,
                store_url=args.store_url,
                force=args.force,
                seal_witnesses=args.seal_witnesses,
                return_state=True,
            )
            if temporary_server:
                wait_until_recorded(state.state_details.flow_run_id)
            summary = state.result()
    except BenchgenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(USAGE_EXIT)
    # The interpreter's own stdout: concurrent in-process builds swap `sys.stdout` (redirect_stdout is
    # process-wide) and can leave it pointing at a capture buffer.
    sys.__stdout__.write(how_to_look(summary, args.store_url) + "\n")
    sys.__stdout__.flush()
