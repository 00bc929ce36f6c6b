"""Recurring failure lessons: learned within a session, kept in a small file, fed to later Coder prompts."""

import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from benchgen.agents.prompts import FAILURE_CODE_MEANINGS
from benchgen.codes import FailureCode
from benchgen.errors import ConfigError
from benchgen.validation.report import ValidationReport

LESSONS_FILE_NAME = "lessons.json"  # in the data folder
RECURRENCE_THRESHOLD = 2  # failed validations with the same code before it becomes a lesson
MAX_LESSONS_IN_PROMPT = 6  # lessons handed to the Coder, most often seen first
MAX_EXAMPLE_CHARS = 240  # characters of the validator's message kept as the lesson's example


class Lesson(BaseModel):
    """A failure code that kept coming back, with the latest message that said how to fix it."""

    code: FailureCode
    text: str
    sessions: int = Field(default=1, ge=1, description="Sessions in which this code recurred.")


class LessonBook(BaseModel):
    lessons: list[Lesson] = Field(default_factory=list)


def lesson_for(code: FailureCode, report: ValidationReport) -> Lesson:
    """A lesson naming the code, what it means and the validator's latest advice for it."""
    example = next(f.message for f in report.failures if f.code is code)[:MAX_EXAMPLE_CHARS]
    return Lesson(
        code=code, text=f"{code.value} ({FAILURE_CODE_MEANINGS[code]}) kept recurring; e.g. {example}"
    )


def count_codes(counts: dict[str, int], report: ValidationReport) -> dict[str, int]:
    """Failed validations per code value, `report` included (string keys survive checkpoints as they are)."""
    updated = dict(counts)
    for code in report.codes():
        updated[code.value] = updated.get(code.value, 0) + 1
    return updated


def new_lessons(counts: dict[str, int], latest: ValidationReport, known: list[Lesson]) -> list[Lesson]:
    """Lessons for codes of `latest` that have now failed RECURRENCE_THRESHOLD times and are not in `known`."""
    known_codes = {lesson.code for lesson in known}
    return [
        lesson_for(code, latest)
        for code in sorted(latest.codes())
        if counts.get(code.value, 0) >= RECURRENCE_THRESHOLD and code not in known_codes
    ]


class LessonStore:
    """The lessons file in the data folder: one JSON object, rewritten whole after each session."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LESSONS_FILE_NAME

    def load(self) -> LessonBook:
        if not self.path.is_file():
            return LessonBook()
        try:
            return LessonBook.model_validate(json.loads(self.path.read_text()))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ConfigError(f"lessons file {self.path} is malformed ({exc}); fix or delete it") from None

    def for_prompt(self) -> list[Lesson]:
        """The lessons to start a session with: most often recurring first."""
        ranked = sorted(self.load().lessons, key=lambda lesson: -lesson.sessions)
        return ranked[:MAX_LESSONS_IN_PROMPT]

    def add(self, learned: list[Lesson]) -> None:
        """Merge lessons learned in one session: a known code counts one more session and takes the new text."""
        book = self.load()
        by_code = {lesson.code: lesson for lesson in book.lessons}
        for lesson in learned:
            previous = by_code.get(lesson.code)
            sessions = previous.sessions + 1 if previous else 1
            by_code[lesson.code] = Lesson(code=lesson.code, text=lesson.text, sessions=sessions)
        updated = LessonBook(lessons=sorted(by_code.values(), key=lambda lesson: lesson.code.value))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Replace atomically so a concurrent session never reads half a file; a lesson counted by two
        # sessions finishing at the same instant may be counted once (lessons are advice, not records).
        with tempfile.NamedTemporaryFile("w", dir=self.path.parent, suffix=".tmp", delete=False) as handle:
            handle.write(updated.model_dump_json(indent=2))
        os.replace(handle.name, self.path)
