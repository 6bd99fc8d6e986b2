"""Acquisition: safe extraction, checksummed downloads from a local HTTP server, clear errors."""
import functools
import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from dataclasses import replace

import pytest

from medlib.data import ChecksumError, DatasetUnavailable, UnsafeArchiveError, download, locate, safe_extract
from medlib.data.acquire import fetch
from medlib.data.registry import get_spec


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("bad", ["../evil.txt", "a/../../evil.txt", "/abs/evil.txt"])
def test_zip_member_outside_is_refused(tmp_path, bad):
    archive = _zip(tmp_path / "a.zip", {"ok.txt": "fine", bad: "evil"})
    with pytest.raises(UnsafeArchiveError, match="outside"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    assert not any((tmp_path / "out").rglob("*"))  # nothing written, not even ok.txt


def test_tar_dotdot_and_links_are_refused(tmp_path):
    for name, kind in [("../evil.txt", tarfile.REGTYPE), ("link", tarfile.SYMTYPE)]:
        archive = tmp_path / f"{kind!r}.tar"
        with tarfile.open(archive, "w") as tf:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
            data = b"x"
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tf.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
        with pytest.raises(UnsafeArchiveError):
            safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_good_archive_extracts(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"root/x/1.txt": "one"})
    safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "root" / "x" / "1.txt").read_text() == "one"


@pytest.fixture
def http_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_download_checksum_ok_and_mismatch(http_server, tmp_path):
    served, url = http_server
    (served / "data.bin").write_bytes(b"medical bytes" * 1000)
    md5 = hashlib.md5(b"medical bytes" * 1000).hexdigest()
    out = download(f"{url}/data.bin", tmp_path / "dl" / "data.bin", md5=md5)
    assert out.read_bytes() == b"medical bytes" * 1000
    with pytest.raises(ChecksumError, match="does not match"):
        download(f"{url}/data.bin", tmp_path / "dl2" / "data.bin", md5="0" * 32)
    assert list((tmp_path / "dl2").iterdir()) == []  # no file, no .part left


def test_fetch_dataset_from_upstream_archive(http_server, isolated_dirs, monkeypatch):
    """The same code path as a real download: mosmed's upstream zip layout, served locally."""
    served, url = http_server
    _zip(served / "master.zip", {"CVT_COVID-CT-CNN-master/new_data/CT-0/img0.jpg": "x",
                                 "CVT_COVID-CT-CNN-master/README.md": "readme"})
    spec = get_spec("mosmed_ct")
    src = replace(spec.sources[0], url=f"{url}/master.zip")
    target = isolated_dirs / "raw" / "mosmed_ct"
    root = fetch(replace(spec, sources=(src,)), target)
    assert (root / "CT-0" / "img0.jpg").exists() and (root / ".complete").exists()
    assert not (root / "README.md").exists()
    assert locate("mosmed_ct") == target  # found as a finished download next time


def test_failed_fetch_leaves_nothing(http_server, isolated_dirs):
    served, url = http_server
    (served / "pneumoniamnist.npz").write_bytes(b"corrupted")
    spec = get_spec("pneumoniamnist")
    bad = replace(spec, sources=(replace(spec.sources[0], url=f"{url}/pneumoniamnist.npz"),))
    with pytest.raises(ChecksumError):
        fetch(bad, isolated_dirs / "raw" / "pneumoniamnist")
    assert list((isolated_dirs / "raw").iterdir()) == []


def test_registration_dataset_explains_steps(isolated_dirs):
    with pytest.raises(DatasetUnavailable) as info:
        locate("ham10000", download=True)
    msg = str(info.value)
    assert "registration required" in msg and "Dataverse" in msg and "ham10000" in msg
    with pytest.raises(DatasetUnavailable, match="private"):
        locate("pet_ct")
