"""Find a dataset on disk, or fetch it: mirror first, then download, else explain.

Order of look-up for dataset ``key``:

1. the data mirror (``MEDLIB_DATA_MIRROR``, default ``../shared/data``), folder
   ``spec.mirror_subdir`` (upstream layout);
2. a previous download under ``MEDLIB_DATA_DIR/<key>`` (complete only if its
   ``.complete`` marker exists);
3. a download of every ``direct`` source, verified against its MD5 where one
   is published, unpacked with path checks, and moved into place only when
   whole, so an interrupted or corrupted download never leaves a partial
   dataset or file behind.

Datasets that need registration or are private raise
:class:`DatasetUnavailable` with the steps to get them and the folder layout
medlib expects.
"""
from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from .. import config
from .registry import DIRECT, DatasetSpec, Source, get_spec

COMPLETE_MARKER = ".complete"


class DatasetUnavailable(RuntimeError):
    """The dataset is not on disk and cannot be downloaded automatically."""


class ChecksumError(RuntimeError):
    """A download did not match its published checksum (the file was deleted)."""


class UnsafeArchiveError(RuntimeError):
    """An archive member would be written outside the extraction folder."""


def locate(key: str | DatasetSpec, download: bool = False) -> Path:
    """Return the root folder of dataset ``key`` (a registry key, or a spec) in its upstream layout."""
    spec = get_spec(key)
    key = spec.key
    if spec.components:  # composed: present when every component is; generated parts go here
        missing = [k for k in spec.components if not is_available(k)]
        if missing:
            raise DatasetUnavailable(f"Dataset {key!r} is composed of {', '.join(spec.components)}; "
                                     f"missing here: {', '.join(missing)}")
        return config.cache_dir() / key
    if spec.root:
        if Path(spec.root).is_dir():
            return Path(spec.root)
        raise DatasetUnavailable(unavailable_message(spec))
    mirror = config.mirror_dir()
    for sub in dict.fromkeys((spec.mirror_subdir, key)):  # the upstream folder name, or the key
        if mirror and sub and (mirror / sub).is_dir():
            return mirror / sub
    local = config.data_dir() / key
    if (local / COMPLETE_MARKER).exists():
        return local
    if download and spec.access == DIRECT:
        return fetch(spec, local)
    raise DatasetUnavailable(unavailable_message(spec))


def is_available(key: str | DatasetSpec) -> bool:
    try:
        locate(key)
    except DatasetUnavailable:
        return False
    return True


def looked_in(spec: DatasetSpec) -> list[str]:
    """Every folder :func:`locate` checks for ``spec``, in order."""
    if spec.root:
        return [str(spec.root)]
    mirror = config.mirror_dir()
    places = [str(mirror / sub) for sub in dict.fromkeys((spec.mirror_subdir, spec.key)) if sub and mirror]
    return places + [str(config.data_dir() / spec.key)]


def unavailable_message(spec: DatasetSpec) -> str:
    lines = [f"Dataset {spec.key!r} ({spec.paper_name or spec.modality}) is not on this machine "
             f"[{spec.access}]."]
    if spec.root:
        lines.append(f"  Its folder is missing: {spec.root}")
        return "\n".join(lines)
    if config.mirror_dir() is None:
        lines.append("  No data mirror is set (MEDLIB_DATA_MIRROR, or ../shared/data beside the checkout).")
    lines.append("  Looked in: " + ", ".join(looked_in(spec)))
    for source in spec.sources:
        if source.access == DIRECT:
            lines.append(f"  - {source.name}: run `make data DOWNLOAD=1` (or "
                         f"medlib.data.locate({spec.key!r}, download=True)) to fetch {source.url}")
        else:
            lines.append(f"  - {source.name} [{source.access}]: {source.steps}")
    lines.append(f"  Then put the files under {config.data_dir() / spec.key} and create an empty "
                 f"'{COMPLETE_MARKER}' file there, or set MEDLIB_DATA_MIRROR to a folder holding "
                 f"'{spec.mirror_subdir or spec.key}/'.")
    return "\n".join(lines)


def fetch(spec: DatasetSpec, target: Path) -> Path:
    """Download and unpack every direct source of ``spec`` into ``target`` atomically."""
    blocked = [s for s in spec.sources if s.access != DIRECT]
    if blocked:
        raise DatasetUnavailable(unavailable_message(spec))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{spec.key}-") as tmp:
        staging = Path(tmp) / "root"
        staging.mkdir()
        for source in spec.sources:
            archive = download(source.url, Path(tmp) / "download", md5=source.md5)
            _unpack(archive, staging, source)
        (staging / COMPLETE_MARKER).touch()
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    return target


def download(url: str, dest: Path, md5: str | None = None, chunk: int = 1 << 20) -> Path:
    """Stream ``url`` to ``dest`` via a temporary file; verify MD5; never leave partial files."""
    from ..progress import progress_bar

    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with progress_bar(total=total, unit="B", unit_scale=True, desc=Path(url).name[:40]) as bar:
                while block := response.read(chunk):
                    out.write(block)
                    digest.update(block)
                    bar.update(len(block))
        if md5 and digest.hexdigest() != md5:
            raise ChecksumError(f"{url}: MD5 {digest.hexdigest()} does not match the published "
                                f"{md5}; the download was deleted. Try again or check the source.")
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def _unpack(archive: Path, staging: Path, source: Source) -> None:
    """Unpack an archive (or move a plain file) and keep only ``source.archive_root``."""
    if zipfile.is_zipfile(archive) or tarfile.is_tarfile(archive):
        extracted = staging.parent / "extracted"
        safe_extract(archive, extracted)
        root = extracted / source.archive_root if source.archive_root else extracted
        if not root.is_dir():
            raise DatasetUnavailable(f"{archive.name}: expected folder {source.archive_root!r} "
                                     f"inside the archive; upstream layout changed?")
        for item in root.iterdir():
            shutil.move(str(item), staging / item.name)
        shutil.rmtree(extracted)
        archive.unlink()
    else:
        name = PurePosixPath(source.url.split("?")[0]).name
        shutil.move(str(archive), staging / name)


def _check_member(name: str, dest: Path) -> Path:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise UnsafeArchiveError(f"archive member {name!r} would be written outside {dest}")
    return dest.joinpath(*path.parts)


def safe_extract(archive: Path, dest: Path) -> None:
    """Extract a zip or tar archive, refusing absolute paths, ``..`` and links out of ``dest``.

    Every member is checked before anything is written, so a bad archive
    leaves nothing behind.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _check_member(info.filename, dest)
            zf.extractall(dest)
        return
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        for member in members:
            _check_member(member.name, dest)
            if member.issym() or member.islnk():
                raise UnsafeArchiveError(f"archive member {member.name!r} is a link; refused")
            if not (member.isfile() or member.isdir()):
                raise UnsafeArchiveError(f"archive member {member.name!r} is a special file; refused")
        tf.extractall(dest, members=members, filter="data")
