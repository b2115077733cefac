"""The inbox: data files dropped in ``<inbox>/<format>/`` are loaded by the next pipeline run.

Layout (``settings.inbox_dir()``)::

    inbox/
      transactions/   sales lines (loyalist load --format transactions); an optional mapping.yml
      customers/      customer records, likewise
      online-retail/  UCI Online Retail files
      <format>/loaded/  where a file goes once loaded (its batch is in raw.load_batches)

The Dagster sensor ``inbox_files`` (orchestration.automation) finds files that stopped changing
and starts the pipeline job with them in raw_data's config; raw_data loads each as one batch
(one transaction: a bad file loads nothing and stays in the inbox, with the error naming its row
and column), then moves it to ``loaded/``.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.load import load_file
from ingest.readers import EXTENSIONS

__all__ = ["INBOX_FORMATS", "MAPPING_FILE", "InboxFile", "ready_files", "move_loaded", "load_inbox_files"]

#: Sub-folders of the inbox, named after `loyalist load --format`.
INBOX_FORMATS = ("transactions", "customers", "online-retail")
#: A column mapping for every file of its folder (see docs/loading.md).
MAPPING_FILE = "mapping.yml"


@dataclass(frozen=True)
class InboxFile:
    """A file waiting in the inbox: its format (the folder), path, size and modification time."""

    format: str
    path: Path
    size: int
    modified: float

    @property
    def version(self) -> str:
        """Identifies this version of the file: a file changed in place is new work."""
        return f"{self.format}/{self.path.name}:{self.size}:{int(self.modified)}"


def ready_files(inbox: Path, settle_seconds: float = 10.0, now: float | None = None) -> list[InboxFile]:
    """Data files in the inbox's format folders, oldest first, skipping those modified in the last
    ``settle_seconds`` (possibly still being copied). Other folders and file types are ignored."""
    now = time.time() if now is None else now
    found = []
    for fmt in INBOX_FORMATS:
        folder = inbox / fmt
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if not path.is_file() or path.suffix.lower() not in EXTENSIONS or path.name.startswith("."):
                continue
            stat = path.stat()
            if now - stat.st_mtime >= settle_seconds:
                found.append(InboxFile(fmt, path.resolve(), stat.st_size, stat.st_mtime))
    return sorted(found, key=lambda f: (f.modified, str(f.path)))


def move_loaded(path: Path) -> Path:
    """Move a loaded file into ``loaded/`` beside it (a timestamp keeps an older namesake)."""
    target_dir = path.parent / "loaded"
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        target = target_dir / f"{path.stem}.{time.strftime('%Y%m%dT%H%M%S')}{path.suffix}"
    return Path(shutil.move(str(path), str(target)))


def load_inbox_files(con, files: dict[str, str]) -> list[str]:
    """Load each file (path -> format) as one batch and move it to ``loaded/``; return one line per
    file. A file whose folder holds a mapping.yml is read with it. Raises ingest's LoadError on the
    first bad file: the files before it are loaded and moved, it and those after stay in the inbox."""
    done = []
    for path_text, fmt in files.items():
        path = Path(path_text)
        if fmt not in INBOX_FORMATS:
            raise ValueError(f"{path}: unknown inbox format {fmt!r}; expected one of {', '.join(INBOX_FORMATS)}")
        mapping = path.parent / MAPPING_FILE
        result = load_file(con, fmt, path, mapping_file=mapping if mapping.exists() else None)
        moved = move_loaded(path)
        done.append(f"{path.name}: batch {result.batch_id}, {result.rows:,} rows ({fmt}) -> {moved.parent}")
    return done
