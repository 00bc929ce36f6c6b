"""The build's parameters and settings, checked before any work starts: one line per mistake, exit 2."""

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from benchgen import pipeline
from benchgen.errors import UsageError
from benchgen.settings import Settings, get_settings

VERSION_DATE_FORMAT = "%Y.%m.%d"  # default version: the UTC date, so each nightly is a new version
# The command-line option of each flow parameter, for messages that name both.
PARAMETER_OPTIONS = {
    "themes": "--theme",
    "seeds_per_theme": "--seeds-per-theme",
    "variant_seeds": "--variant-seeds",
    "scales": "--scales",
    "model": "--model",
    "dataset_name": "--name",
    "dataset_version": "--version",
    "min_accepted_per_theme": "--min-accepted-per-theme",
    "min_difficulty_stdev": "--min-difficulty-stdev",
}
PARAMETER_HINTS = {
    (
        "model",
        "string_pattern_mismatch",
    ): "give 'offline' or an LLM model as 'provider:name', e.g. openai:gpt-4o",
    ("dataset_name", "string_pattern_mismatch"): "use lower-case letters, digits, '.', '_' and '-'",
    ("dataset_version", "string_pattern_mismatch"): "use letters, digits, '.', '_' and '-'",
}


def read_themes_file(themes_file: str) -> list[str]:
    """The themes of a file with one theme per line ('#' starts a comment); a file without any is an error."""
    path = Path(themes_file)
    if path.is_dir():
        raise UsageError(f"themes file {themes_file!r} is a directory; give a file with one theme per line")
    if not path.exists():
        raise UsageError(f"themes file {themes_file!r} does not exist; give a file with one theme per line")
    try:
        text = path.read_bytes().decode()
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"themes file {themes_file!r} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read themes file {themes_file!r}: {exc.strerror}") from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    themes = [line for line in lines if line]
    if not themes:
        raise UsageError(
            f"themes file {themes_file!r} lists no themes (only blank lines or comments); write one theme "
            "per line, or leave out --themes-file to build the default themes"
        )
    return themes


def read_themes(themes: Sequence[str] | None, themes_file: str | None) -> list[str]:
    """Themes from the list and/or a file with one theme per line; the default themes when neither is given."""
    found = [t.strip() for t in themes or [] if t.strip()]
    if themes_file:
        found += read_themes_file(themes_file)
    if not found:
        return list(pipeline.DEFAULT_THEMES)
    duplicates = sorted({t for t in found if found.count(t) > 1})
    if duplicates:
        raise UsageError(f"themes listed more than once: {', '.join(map(repr, duplicates))}; list each once")
    return found


def check_parameters(
    *,
    themes: list[str] | None,
    themes_file: str | None,
    seeds_per_theme: int,
    variant_seeds: list[int] | None,
    scales: list[float] | None,
    model: str,
    dataset_name: str,
    dataset_version: str | None,
    force: bool,
    seal_witnesses: bool,
    min_accepted_per_theme: int,
    min_difficulty_stdev: float,
    require_witness: bool | None,
) -> pipeline.BuildParameters:
    """The build's parameters, or one UsageError with one line per mistake; called before any work."""
    mistakes = []
    try:
        found_themes = read_themes(themes, themes_file)
    except UsageError as exc:
        mistakes.append(str(exc))
        found_themes = list(pipeline.DEFAULT_THEMES)
    values = {
        "themes": found_themes,
        "seeds_per_theme": seeds_per_theme,
        "variant_seeds": list(pipeline.DEFAULT_VARIANT_SEEDS) if variant_seeds is None else variant_seeds,
        "scales": list(pipeline.DEFAULT_SCALES) if scales is None else scales,
        "model": model,
        "dataset_name": dataset_name,
        "dataset_version": dataset_version or datetime.now(UTC).strftime(VERSION_DATE_FORMAT),
        "force": force,
        "seal_witnesses": seal_witnesses,
        "thresholds": {
            "min_accepted_per_theme": min_accepted_per_theme,
            "min_difficulty_stdev": min_difficulty_stdev,
            "require_witness": pipeline.witness_required(require_witness),
        },
    }
    try:
        params = pipeline.BuildParameters.model_validate(values)
    except ValidationError as exc:
        mistakes += [parameter_mistake(error) for error in exc.errors()]
    if mistakes:
        raise UsageError("\n".join(mistakes))
    return params


def parameter_mistake(error: dict) -> str:
    """One line for one invalid parameter: its flow name, its command-line option, its value and why."""
    name = str(error["loc"][-1]) if error["loc"] else "parameters"
    option = PARAMETER_OPTIONS.get(name, name)
    reason = PARAMETER_HINTS.get((name, error["type"])) or error["msg"].removeprefix("Value error, ")
    return f"invalid {option} ({name}={error['input']!r}): {reason}"


def load_settings(settings_block: str | None, store_url: str | None) -> Settings:
    if settings_block is None:
        return get_settings(**({"store_url": store_url} if store_url else {}))
    from blocks.benchgen_settings import BenchgenSettings

    try:
        block = BenchgenSettings.load(settings_block)
    except ValueError:  # Prefect's "Unable to find block document named ..."
        raise UsageError(
            f"settings block {settings_block!r} is not registered on this Prefect server; run "
            f"`python -m blocks.register --name {settings_block}` with the BENCHGEN_* settings runs should use"
        ) from None
    settings = block.to_settings()
    return settings.model_copy(update={"store_url": store_url}) if store_url else settings


def refuse_local_defaults(settings: Settings, settings_block: str | None) -> None:
    """A deployment's run must not quietly fall back to a data folder and SQLite on whichever worker took it.

    Only deployment runs are checked: a build started by hand is meant to use the machine it runs on.
    """
    from prefect.runtime import deployment, flow_run

    if deployment.id is None:
        return
    local = {
        "store_url": settings.resolved_store_url,
        "database_url": settings.resolved_database_url,
    }
    defaulted = [f"{name}={value}" for name, value in local.items() if getattr(settings, name) is None]
    if not defaulted:
        return
    where = (
        f"settings block {settings_block!r} leaves"
        if settings_block
        else "it names no settings_block and no BENCHGEN_* variable sets"
    )
    raise UsageError(
        f"deployment {flow_run.flow_name}/{deployment.name} would write to this worker's local defaults "
        f"({', '.join(defaulted)}): {where} them; pass settings_block=benchgen (saved by "
        "`python -m blocks.register`), or allow_local_defaults=true to use these on purpose"
    )
