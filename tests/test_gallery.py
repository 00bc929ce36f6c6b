"""Gallery: a dataset built by the real pipeline, its static site, and headless Chromium loading every page.

Chromium (the `chromium` fixture, tests/browser.py) is driven over the DevTools protocol: every request
must be a local file (or inline data), no page may log a console error or throw, and a screenshot of the
index must show the contact sheets.
"""

import hashlib
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from browser import load_page, wait_for_text
from pydantic import SecretStr

from benchgen import db, pipeline
from benchgen.codes import FailureCode
from benchgen.contract import WITNESS_FILE
from benchgen.dataset.gate import CAP_COLUMNS
from benchgen.dataset.index import IndexRow
from benchgen.dataset.publish import (
    MANIFEST_FILE,
    PREVIOUS_DIR,
    Manifest,
    ManifestFile,
    read_manifest,
    verify_published,
)
from benchgen.dataset.published import PublishedBenchmark, PublishedVersion
from benchgen.errors import NotFoundError, StoreError
from benchgen.evaluation.render import WITNESS_CLIP_FILE
from benchgen.failures import Failure
from benchgen.gallery import build_gallery, publish_gallery
from benchgen.gallery.site import PAGE_FILE, _environment, _write_benchmark, difficulty_band, histogram_svg
from benchgen.gallery.source import SESSIONS_FILE, _benchmark_page, read_dataset, sessions_file
from benchgen.models import GenerationSession, JournalEntry, SessionStatus, ValidationAttempt
from benchgen.settings import Settings, get_settings
from benchgen.store import ArtifactStore
from benchgen.validation.report import ValidationReport

THUMBNAIL_MIN_WIDTH_PX = 200  # a rendered contact-sheet thumbnail is at least this wide on the index
THUMBNAIL_MIN_GREY_LEVELS = 40  # distinct grey levels inside a drawn contact sheet (a blank box has a few)
DOCS_TABLES_TIMEOUT_S = 10  # s for a Data Docs index to fill its tables from its inline data
REJECT_MESSAGE = "payload start envelope touches forbid zone 'gap' by 4.0 mm; move the start 4 mm up"


# --- a real dataset -------------------------------------------------------------------------------------


def rejected_session(first: GenerationSession) -> GenerationSession:
    """A rejected candidate of the same run, as the session recorder stores one."""
    report = ValidationReport(
        script="scenario.py",
        ok=False,
        failures=[Failure(code=FailureCode.PAYLOAD_IN_FORBID, message=REJECT_MESSAGE, seed=0, scale=1.0)],
    )
    return GenerationSession.create(
        theme=first.theme,
        backend="offline",
        model="offline",
        status=SessionStatus.REJECTED,
        coder_attempts=3,
        validation_logs=[ValidationAttempt(attempt=3, report=report)],
        journal=[JournalEntry(stage="validate", message="attempt 3 failed: PAYLOAD_IN_FORBID")],
        reason="coder attempts exhausted: PAYLOAD_IN_FORBID",
        created_at=first.created_at + timedelta(seconds=1),
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[str, Settings, GenerationSession]:
    """Two offline benchmarks of one theme, one variant each, published by the pipeline; plus a rejected run."""
    root = tmp_path_factory.mktemp("gallery-dataset")
    settings = get_settings(data_dir=root / "data", database_url=None, store_url=None)
    params = pipeline.BuildParameters(
        themes=["ball must cross a gap"], seeds_per_theme=2, variant_seeds=[0], scales=[1.0]
    )
    summary = pipeline.build_dataset_directly(params, settings, root / "docs")
    assert summary.dataset_url is not None
    engine = db.get_engine(settings)
    try:
        accepted = [
            db.get_session(engine, uuid.UUID(c.entry.session_id)) for c in summary.candidates if c.entry
        ]
        rejected = db.save_session(engine, rejected_session(min(accepted, key=lambda s: s.created_at)))
    finally:
        engine.dispose()
    return summary.dataset_url, settings, rejected


@pytest.fixture(scope="module")
def site(dataset, tmp_path_factory) -> Path:
    url, settings, _ = dataset
    out = tmp_path_factory.mktemp("gallery-site")
    build_gallery(url, out, settings=settings)
    return out


# --- tests -----------------------------------------------------------------------------------------------


def test_difficulty_bands_cover_the_score_range():
    assert [difficulty_band(s) for s in (0.0, 0.3, 0.5, 0.9, 1.0, None)] == [
        "easy",
        "easy",
        "medium",
        "hard",
        "hard",
        "unknown",
    ]


def test_histogram_has_one_bar_per_bin_and_counts_each_score():
    svg = histogram_svg([0.05, 0.07, 0.55, 1.0])
    assert svg.count("<rect") == 10
    assert "0.0-0.1: 2" in svg and "0.5-0.6: 1" in svg and "0.9-1.0: 1" in svg


@pytest.mark.slow
def test_site_holds_every_benchmark_page_and_the_rejected_candidate(dataset, site):
    _, _, rejected = dataset
    pages = sorted(site.glob("benchmarks/*/index.html"))
    assert len(pages) == 2
    page = pages[0].read_text()
    for heading in (
        "Views",
        "Contact sheet",
        "Settle clip",
        "Payload and zones",
        "Variants",
        "Review",
        "Script",
        "Session journal",
    ):
        assert f"<h2>{heading}" in page, heading
    assert 'class="code"' in page and '<span class="nf">build</span>' in page  # highlighted script
    assert "accepted" in page.lower()  # the review verdict of the offline reviewer
    for src in ("review/sheet.png", "gallery_settle.gif", "review/views/isometric.png"):
        assert (pages[0].parent / src).is_file(), src
    rejected_page = (site / "rejected.html").read_text()
    assert "PAYLOAD_IN_FORBID" in rejected_page and str(rejected.id)[:8] in rejected_page
    candidate = (site / "candidates" / f"{rejected.id}.html").read_text()
    assert "coder attempts exhausted" in candidate


@pytest.mark.slow
def test_pages_load_offline_without_errors_and_the_index_shows_thumbnails(site, chromium, tmp_path):
    pages = [
        site / "index.html",
        site / "rejected.html",
        *site.glob("benchmarks/*/index.html"),
        *site.glob("candidates/*.html"),
    ]
    for page in pages:
        loaded = load_page(chromium, page.as_uri())
        assert loaded.errors == [], f"{page}: {loaded.errors}"
        assert loaded.failed == [], f"{page}: {loaded.failed}"
        outside = [u for u in loaded.requests if not u.startswith(("file://", "data:"))]
        assert outside == [], f"{page} requested {outside}"
    index = load_page(chromium, (site / "index.html").as_uri())
    assert index.screenshot is not None
    index.screenshot.save(tmp_path / "index.png")
    thumbnails = [i for i in index.images if i["src"].endswith("review/sheet.png")]
    assert len(thumbnails) == 2
    grey = index.screenshot.convert("L")
    for thumb in thumbnails:
        assert thumb["natural"] > 0, f"{thumb['src']} did not decode"
        assert thumb["w"] >= THUMBNAIL_MIN_WIDTH_PX, thumb
        box = (
            int(thumb["x"]),
            int(thumb["y"]),
            int(thumb["x"] + thumb["w"]),
            int(min(thumb["y"] + thumb["h"], grey.size[1])),
        )
        assert box[3] > box[1], f"{thumb['src']} is below the screenshot: {thumb}"
        levels = len(grey.crop(box).getcolors(maxcolors=256) or [])
        assert levels >= THUMBNAIL_MIN_GREY_LEVELS, f"{thumb['src']} looks blank ({levels} grey levels)"


@pytest.mark.slow
def test_data_docs_load_offline_without_errors_and_fill_their_tables(dataset, chromium):
    """GX pages load their scripts from CDNs; the published copy must need none of them."""
    url, _, _ = dataset
    version_folder = Path(url.removeprefix("file://"))
    docs = version_folder.parent / "_checks" / version_folder.name / "data_docs"
    pages = sorted(docs.rglob("*.html"))
    assert len(pages) == 9  # the index, 4 suites and 4 validation results
    for page in pages:
        loaded = load_page(chromium, page.as_uri())
        assert loaded.errors == [], f"{page}: {loaded.errors}"
        assert loaded.failed == [], f"{page}: {loaded.failed}"
        outside = [u for u in loaded.requests if not u.startswith(("file://", "data:"))]
        assert outside == [], f"{page} requested {outside}"
    suites = ["benchgen-benchmarks", "benchgen-files", "benchgen-themes", "benchgen-variants"]
    index = wait_for_text(chromium, (docs / "index.html").as_uri(), suites, DOCS_TABLES_TIMEOUT_S)
    for suite in suites:  # the validation results table, which a script fills in from inline data
        assert f"benchgen-v1-{suite.removeprefix('benchgen-')}\t{suite}" in index.text, index.text[-2000:]


@pytest.mark.slow
def test_published_pages_name_no_local_path_or_database(dataset, site):
    """Galleries and Data Docs are published: they must not show this machine's folders or the database."""
    url, settings, _ = dataset
    version_folder = Path(url.removeprefix("file://"))
    secrets = [str(settings.resolved_data_dir), settings.resolved_database_url, str(Path.home()), "sqlite:"]
    folders = [version_folder, version_folder.parent / "_checks", site]
    suffixes = (".html", ".md", ".json", ".css", ".js", ".xml")
    texts = [p for folder in folders for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes]
    assert len(texts) > 20
    leaks = [(p, s) for p in texts for s in secrets if s in p.read_text(errors="replace")]
    assert leaks == []


@pytest.mark.slow
def test_a_corrupted_file_or_an_unpublished_url_is_refused(dataset, tmp_path):
    url, settings, _ = dataset
    with pytest.raises(NotFoundError, match="not a published dataset version"):
        build_gallery(url.rsplit("/", 1)[0], tmp_path / "a", settings=settings)
    copy = tmp_path / "copy"
    shutil.copytree(Path(url.removeprefix("file://")), copy)
    sheet = next(copy.glob("benchmarks/*/review/sheet.png"))
    sheet.write_bytes(sheet.read_bytes() + b"tampered")
    with pytest.raises(StoreError, match="hashes to .* its manifest says"):
        build_gallery(copy.as_uri(), tmp_path / "b", settings=settings, render_clips=False)


def test_a_version_mid_republish_is_read_where_its_manifest_says(dataset, tmp_path):
    """During a forced re-publish (or after one killed mid-way) the manifest points some files outside the
    version folder (`stored_at`); the gallery and reproduce read them there, checksums intact."""
    url, settings, _ = dataset
    root = tmp_path / "store"
    shutil.copytree(Path(url.removeprefix("file://")), root / "benchgen" / "v1")
    version = root / "benchgen" / "v1"
    manifest = Manifest.model_validate_json((version / MANIFEST_FILE).read_text())
    moved = next(f for f in manifest.files if f.path.endswith("review/sheet.png"))
    aside = root / "benchgen" / PREVIOUS_DIR / "v1" / moved.path
    aside.parent.mkdir(parents=True)
    (version / moved.path).rename(aside)
    files = [
        f.model_copy(update={"stored_at": f"{PREVIOUS_DIR}/v1/{f.path}"}) if f is moved else f
        for f in manifest.files
    ]
    (version / MANIFEST_FILE).write_text(manifest.model_copy(update={"files": files}).model_dump_json())
    build_gallery(version.as_uri(), tmp_path / "site", settings=settings, render_clips=False)
    assert (tmp_path / "site" / "index.html").exists()


@pytest.mark.slow
def test_publish_gallery_puts_the_site_inside_the_version_and_keeps_its_seal(dataset):
    url, settings, rejected = dataset
    store = ArtifactStore.from_settings(settings)
    manifest = read_manifest(store, "benchgen", "v1")
    published = pipeline.PublishedDataset(
        name="benchgen", version="v1", prefix="benchgen/v1", url=url, manifest=manifest
    )
    index_url = publish_gallery(
        store, published, settings, rejected_session_ids=[rejected.id], render_clips=False
    )
    assert index_url == f"{url}/gallery/index.html"
    assert store.exists("benchgen/v1/gallery/rejected.html")
    assert store.exists(f"benchgen/v1/gallery/candidates/{rejected.id}.html")
    assert verify_published(store, "benchgen", "v1") == []


@pytest.mark.slow
def test_gallery_reads_a_version_published_on_s3(dataset, s3_endpoint, tmp_path):
    url, settings, _ = dataset
    bucket = s3_endpoint.create_bucket()
    s3_url = f"s3://{bucket}/datasets/benchgen/v1"
    s3_endpoint.store(f"s3://{bucket}/datasets").put_dir("benchgen/v1", Path(url.removeprefix("file://")))
    s3_settings = settings.model_copy(
        update={
            "s3_endpoint_url": s3_endpoint.url,
            "aws_access_key_id": s3_endpoint.key,
            "aws_secret_access_key": SecretStr(s3_endpoint.secret),
            "aws_region": s3_endpoint.region,
        }
    )
    site = build_gallery(s3_url, tmp_path / "site", settings=s3_settings, render_clips=False)
    assert site.benchmarks == 2
    assert len(list((tmp_path / "site").glob("benchmarks/*/review/sheet.png"))) == 2


@pytest.mark.slow
def test_published_sessions_file_replaces_the_database(dataset, tmp_path):
    url, settings, rejected = dataset
    copy = tmp_path / "v1"
    shutil.copytree(Path(url.removeprefix("file://")), copy)
    no_database = get_settings(data_dir=tmp_path / "elsewhere", database_url=None, store_url=None)

    without = build_gallery(copy.as_uri(), tmp_path / "bare", settings=no_database, render_clips=False)
    assert without.rejected == 0 and "no session database here" in without.sessions_note
    page = next((tmp_path / "bare").glob("benchmarks/*/index.html")).read_text()
    assert "No session" in page and "<th>stage</th>" not in page

    manifest = Manifest.model_validate_json((copy / MANIFEST_FILE).read_text())
    accepted = [
        uuid.UUID(r["session_id"]) for r in pd.read_parquet(copy / "index.parquet").to_dict("records")
    ]
    data = sessions_file(settings, accepted, [rejected.id]).model_dump_json().encode()
    (copy / SESSIONS_FILE).write_bytes(data)
    manifest.files.append(
        ManifestFile(path=SESSIONS_FILE, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    )
    (copy / MANIFEST_FILE).write_text(manifest.model_dump_json())
    site = build_gallery(copy.as_uri(), tmp_path / "site", settings=no_database, render_clips=False)
    assert site.rejected == 1 and SESSIONS_FILE in site.sessions_note
    page = next((tmp_path / "site").glob("benchmarks/*/index.html")).read_text()
    assert "<th>stage</th>" in page  # the journal table
    assert (tmp_path / "site" / "candidates" / f"{rejected.id}.html").is_file()


@pytest.mark.slow
def test_a_benchmark_page_shows_its_witness_beside_the_settle_clip_sealed_or_not_at_all(
    dataset, site, tmp_path
):
    url, settings, _ = dataset
    page = next(site.glob("benchmarks/*/index.html")).read_text()
    assert "<h2>Settle clip and witness</h2>" in page and "<h2>Witness</h2>" in page
    assert f'src="review/{WITNESS_CLIP_FILE}"' in page and f'href="{WITNESS_FILE}"' in page

    version = PublishedVersion(url, settings)
    published = read_dataset(version, settings)
    record = published.benchmarks[0]
    folder = record.row.script_file.rsplit("/", 1)[0]
    witness_columns = [name for name in IndexRow.model_fields if name.startswith("witness_")]
    older = record.model_copy(  # an index published before witnesses: no witness columns, no witness files
        update={
            "row": record.row.model_copy(update=dict.fromkeys([*witness_columns, *CAP_COLUMNS])),
            "witness_clip": None,
            "witness_file": None,
        }
    )
    _write_benchmark(_environment(), version, published, older, tmp_path / "older", render_clips=False)
    page = (tmp_path / "older" / folder / PAGE_FILE).read_text()
    assert "<h2>Settle clip</h2>" in page and "<h2>Witness</h2>" not in page and 'class="sealed"' not in page
    assert WITNESS_CLIP_FILE not in page and WITNESS_FILE not in page  # only its session's journal names one

    sealed_row = record.row.model_copy(update={"witness_sealed": True})
    sealed = _benchmark_page(
        version, PublishedBenchmark(row=sealed_row, variants=record.variants), record.session
    )
    assert sealed.witness_clip is None
    _write_benchmark(_environment(), version, published, sealed, tmp_path / "sealed", render_clips=False)
    page = (tmp_path / "sealed" / folder / PAGE_FILE).read_text()
    assert '<div class="sealed">sealed</div>' in page and record.row.witness_sha256 in page
    assert WITNESS_CLIP_FILE not in page and f'href="{WITNESS_FILE}"' not in page
