"""What a build shows its user: the Prefect artifacts of a run, and what the main job prints."""

from urllib.parse import urlsplit

from benchgen import pipeline
from benchgen.dataset.index import FileKind, benchmark_folder
from benchgen.dataset.publish import CARD_FILE
from benchgen.store import ArtifactStore

ARTIFACT_LINK_EXPIRY_S = 7 * 24 * 3600  # s; the longest S3 (SigV4) allows a presigned link to live


def theme_table(candidates: list[pipeline.Candidate], themes: list[str]) -> list[dict]:
    rows = []
    for theme in themes:
        mine = [c for c in candidates if c.theme == theme]
        reasons = sorted({c.reason for c in mine if c.reason})
        rows.append(
            {
                "theme": theme,
                "accepted": sum(o.accepted for o in mine),
                "rejected": sum(not o.accepted for o in mine),
                "rejection reasons": "; ".join(reasons),
            }
        )
    return rows


def browser_link(store: ArtifactStore, url: str) -> str:
    """A link the Prefect UI can follow to a stored file: presigned on S3, the local path otherwise."""
    key = url.removeprefix(f"{store.url}/")
    return store.browser_url(key, ARTIFACT_LINK_EXPIRY_S) if key != url else url


def summary_markdown(summary: pipeline.BuildSummary, store: ArtifactStore) -> str:
    """The summary artifact: counts, the gate, and links a browser opens (see `browser_link`)."""
    accepted, rejected = summary.counts()
    dataset_url = summary.dataset_url
    card = f"{dataset_url}/{CARD_FILE}" if dataset_url else None
    lines = [
        f"# Dataset {summary.name} {summary.version}",
        "",
        f"- published at: `{dataset_url}` ([dataset card]({browser_link(store, card)}))"
        if card
        else "- not published",
        f"- accepted: {sum(accepted.values())}, rejected: {sum(rejected.values())}",
        f"- gate: {summary.gate.summary()}",
        f"- [Great Expectations Data Docs]({browser_link(store, summary.data_docs_url)})"
        if summary.data_docs_url
        else "",
        f"- [gallery]({browser_link(store, summary.gallery_url)})" if summary.gallery_url else "",
        f"- links to S3 objects are presigned and expire after {ARTIFACT_LINK_EXPIRY_S // 86400} days"
        if not store.is_local
        else "",
        "",
        "| theme | seed | difficulty | preview sheet |",
        "| --- | ---: | ---: | --- |",
    ]
    for candidate in summary.candidates:
        if candidate.entry is None:
            continue
        preview = candidate.entry.file(FileKind.PREVIEW)
        link = ""
        if preview and dataset_url:
            sheet = f"{dataset_url}/{benchmark_folder(candidate.entry.benchmark_id)}/{preview.name}"
            link = f"[{preview.name}]({browser_link(store, sheet)})"
        lines.append(
            f"| {candidate.theme} | {candidate.seed} | {candidate.entry.difficulty_score:.2f} | {link} |"
        )
    return "\n".join(lines)


def how_to_look(summary: pipeline.BuildSummary, store_url: str | None = None) -> str:
    """What the main job prints: where the dataset is and how to look at it, with the user's own store."""
    accepted, rejected = summary.counts()
    url = summary.dataset_url or ""
    local = urlsplit(url).path if url.startswith("file://") else None
    count = sum(accepted.values())
    lines = [
        f"dataset {summary.name} {summary.version}: {count} benchmark{'' if count == 1 else 's'} accepted, "
        f"{sum(rejected.values())} rejected"
        + (" (already published, unchanged)" if summary.unchanged else ""),
        f"  published at  {url}",
    ]
    if local:
        lines += [
            f"  card          {local}/README.md",
            f"  index         python -c \"import pandas as pd; print(pd.read_parquet('{local}/index.parquet'))\"",
            f"  a preview     {local}/benchmarks/<benchmark_id>/review/",
        ]
    if summary.gallery_url:
        gallery = summary.gallery_url
        lines.append(
            f"  gallery       {urlsplit(gallery).path if gallery.startswith('file://') else gallery}"
        )
    if summary.data_docs_url:
        lines.append(f"  data docs     {summary.data_docs_url}")
    store_option = f" --store-url {store_url}" if store_url else ""
    lines.append(f"  verify        benchgen dataset verify {summary.name} {summary.version}{store_option}")
    return "\n".join(lines)
