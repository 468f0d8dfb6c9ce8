"""The verified downloader: directory and HTTP mirrors, digest errors, offline advice, atomic writes.

Nothing here touches the internet: HTTP is served from localhost. The real DAVIS and KIBA files
come from the shared datasets folder (``shared_mirror()``); those tests skip when it is absent,
unless the comma-separated SHAM_REQUIRE names "shared".
"""
import functools
import hashlib
import http.server
import socket
import threading

import pytest

from requirements import shared_or_skip
from sham_core.data.fetch import (DATASETS_WITH_DOWNLOADS, REGISTRY, DigestMismatch, FetchError, fetch,
                                  registry_entries, shared_mirror)

FILES = {"a.txt": b"alpha\n", "sub/b.bin": bytes(range(256)) * 8}
DEEPDTA_FILES = ["Y", "ligands_can.txt", "proteins.txt", "folds/test_fold_setting1.txt",
                 "folds/train_fold_setting1.txt"]
SHIPPED = {
    "mnist/mnist.npz": "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    "cifar10/cifar-10-python.tar.gz": "md5:c58f30108f718f92721af3b95e74349a",
    "cifar100/cifar-100-python.tar.gz": "md5:eb9058c3a382ffc7106e4002c42a8d85",
    "davis/Y": "sha256:9855c4f234ec6dd18295b0e0cd6ee54214cafa908c6eb1d447b47d454fc0294a",
    "davis/ligands_can.txt": "sha256:141094d99510a52091d2ea1b05be7c1f66b2c5fcaeeeb261eaf4cbf2128bde6d",
    "davis/proteins.txt": "sha256:187cedeee10cd3b58af915a2861a5ed0c4ff42a2d728f4dea5e0b47e3d75b291",
    "davis/folds/test_fold_setting1.txt": "sha256:c97589fa2fae318b01870854af0ab6fdd155dd38524cc6ac1d0319418ac6d568",
    "davis/folds/train_fold_setting1.txt": "sha256:bb7a63b2178c40a4e2417bc701b95511407787fa5eabb6a43a695fe6bd722f56",
    "kiba/Y": "sha256:53857b84218ba3d60293c70ab79e2abd83d615d06218c73c150f6dfb4c7134a6",
    "kiba/ligands_can.txt": "sha256:a95797abaf31b17bd2471dbf3e3476f588d5a79797903cc156528f66e55c963b",
    "kiba/proteins.txt": "sha256:2ba9dbc2959d88b0740aaf28828c4c611c2dbd1c2019547eb2ec1c3daa192604",
    "kiba/folds/test_fold_setting1.txt": "sha256:92801eec2caddf950235c6c6a46d999d2eeeaa6d35cbeffd68c72a5cf54b208d",
    "kiba/folds/train_fold_setting1.txt": "sha256:da74eeeb2c3e7d52a2fd6daac0dc105bba097c222337230eec69d9fd7e1c301e",
}
SHIPPED_URLS = {
    "mnist/mnist.npz": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    "cifar10/cifar-10-python.tar.gz": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    "cifar100/cifar-100-python.tar.gz": "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
    **{f"{dataset}/{path}": f"https://raw.githubusercontent.com/hkmztrk/DeepDTA/master/data/{dataset}/{path}"
       for dataset in ("davis", "kiba") for path in DEEPDTA_FILES},
}





def closed_port():
    """A localhost port that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_registry(path, base_url, files=FILES, digests=None):
    """A registry of ``files`` under dataset "toy", sha256 for a.txt and md5 for the rest."""
    lines = []
    for name, data in files.items():
        algorithm = "sha256" if name == "a.txt" else "md5"
        digest = (digests or {}).get(name) or f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
        lines.append(f"toy/{name} {digest} {base_url}/toy/{name}")
    path.write_text("# test registry\n\n" + "\n".join(lines) + "\n")
    return path


@pytest.fixture
def mirror(tmp_path):
    """A directory mirror holding FILES under toy/."""
    root = tmp_path / "mirror"
    for name, data in FILES.items():
        (root / "toy" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "toy" / name).write_bytes(data)
    return root


@pytest.fixture
def offline_registry(tmp_path):
    """A registry whose URLs point to a closed localhost port."""
    return write_registry(tmp_path / "registry.txt", f"http://127.0.0.1:{closed_port()}")


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class FailsOnce(Quiet):
    """Answers 503 to the server's first request, then serves files."""

    def do_GET(self):
        if not getattr(self.server, "failed", False):
            self.server.failed = True
            self.send_error(503)
            return
        super().do_GET()


class Truncated(Quiet):
    """Promises 1,000 bytes, sends 10 and hangs up: an interrupted download."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def serve():
    """Start an HTTP server on a free localhost port serving a folder; yield a function returning its URL."""
    servers = []

    def start(folder, handler=Quiet):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def assert_fetched(result, dest):
    assert result == {name: str(dest / name) for name in FILES}
    for name, data in FILES.items():
        assert (dest / name).read_bytes() == data


def leftovers(folder):
    """Every file under ``folder`` (temporary names included)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_directory_mirror_copies_and_verifies(mirror, offline_registry, tmp_path):
    dest = tmp_path / "raw"
    assert_fetched(fetch("toy", dest, mirror=mirror, registry_path=offline_registry), dest)
    assert leftovers(dest) == sorted(FILES)


def test_http_mirror_downloads_and_verifies(mirror, offline_registry, serve, tmp_path):
    dest = tmp_path / "raw"
    assert_fetched(fetch("toy", dest, mirror=serve(mirror) + "/", registry_path=offline_registry), dest)


def test_registry_urls_are_used_without_a_mirror(mirror, serve, tmp_path):
    registry = write_registry(tmp_path / "registry.txt", serve(mirror))
    assert_fetched(fetch("toy", tmp_path / "raw", registry_path=registry), tmp_path / "raw")


def test_download_is_retried_after_a_server_error(mirror, serve, tmp_path):
    registry = write_registry(tmp_path / "registry.txt", serve(mirror, FailsOnce))
    assert_fetched(fetch("toy", tmp_path / "raw", registry_path=registry, retries=1), tmp_path / "raw")


def test_verified_file_is_not_fetched_again(mirror, offline_registry, tmp_path):
    dest = tmp_path / "raw"
    fetch("toy", dest, mirror=mirror, registry_path=offline_registry)
    before = {name: (dest / name).stat().st_mtime_ns for name in FILES}
    assert_fetched(fetch("toy", dest, registry_path=offline_registry, retries=0), dest)  # offline: no fetch
    assert {name: (dest / name).stat().st_mtime_ns for name in FILES} == before


def test_corrupt_local_file_is_fetched_again(mirror, offline_registry, tmp_path):
    dest = tmp_path / "raw"
    (dest / "sub").mkdir(parents=True)
    (dest / "sub" / "b.bin").write_bytes(b"truncated")
    assert_fetched(fetch("toy", dest, mirror=mirror, registry_path=offline_registry), dest)


@pytest.mark.parametrize("over_http", [False, True], ids=["directory", "http"])
def test_digest_mismatch_names_file_expected_and_actual(mirror, offline_registry, serve, tmp_path, over_http):
    (mirror / "toy" / "a.txt").write_bytes(b"tampered\n")
    dest = tmp_path / "raw"
    source = serve(mirror) if over_http else mirror
    with pytest.raises(DigestMismatch) as error:
        fetch("toy", dest, mirror=source, registry_path=offline_registry, retries=0)
    message = str(error.value)
    assert "toy/a.txt" in message
    assert hashlib.sha256(FILES["a.txt"]).hexdigest() in message
    assert hashlib.sha256(b"tampered\n").hexdigest() in message
    assert "a.txt" not in leftovers(dest)


def test_wrong_registry_digest_is_refused(mirror, tmp_path):
    registry = write_registry(tmp_path / "registry.txt", "http://unused", digests={"a.txt": "sha256:" + "0" * 64})
    with pytest.raises(DigestMismatch, match="expected 0{64}"):
        fetch("toy", tmp_path / "raw", mirror=mirror, registry_path=registry)


def test_offline_without_mirror_names_url_and_mirror(offline_registry, tmp_path):
    url = next(entry.url for entry in registry_entries("toy", offline_registry) if entry.path == "a.txt")
    with pytest.raises(FetchError) as error:
        fetch("toy", tmp_path / "raw", registry_path=offline_registry, retries=0)
    message = str(error.value)
    assert url in message and "data: mirror:" in message and "<mirror>/<dataset>/<file>" in message


def test_interrupted_download_leaves_no_file(mirror, serve, tmp_path):
    registry = write_registry(tmp_path / "registry.txt", serve(mirror, Truncated))
    dest = tmp_path / "raw"
    with pytest.raises(FetchError, match="toy/a.txt"):
        fetch("toy", dest, registry_path=registry, retries=0)
    assert leftovers(dest) == []


def test_missing_file_on_directory_mirror(mirror, offline_registry, tmp_path):
    (mirror / "toy" / "sub" / "b.bin").unlink()
    with pytest.raises(FetchError, match="has no toy/sub/b.bin"):
        fetch("toy", tmp_path / "raw", mirror=mirror, registry_path=offline_registry)


def test_mirror_that_is_neither_folder_nor_url(offline_registry, tmp_path):
    with pytest.raises(FetchError, match="neither an existing directory nor an http"):
        fetch("toy", tmp_path / "raw", mirror=tmp_path / "nowhere", registry_path=offline_registry)


def test_registry_errors_name_the_problem(offline_registry, tmp_path):
    with pytest.raises(ValueError, match="no files for dataset 'cifar10'; it lists toy"):
        registry_entries("cifar10", offline_registry)
    bad = tmp_path / "bad.txt"
    bad.write_text("toy/a.txt crc32:1234 http://x/a.txt\n")
    with pytest.raises(ValueError, match="line 1: expected"):
        registry_entries("toy", bad)


def test_shipped_registry_pins_the_study_digests():
    """Verification can never be switched off by editing the registry: every digest is pinned here."""
    shipped = {f"{dataset}/{entry.path}": entry for dataset in DATASETS_WITH_DOWNLOADS
               for entry in registry_entries(dataset)}
    assert {name: entry.digest for name, entry in shipped.items()} == SHIPPED
    assert {name: entry.url for name, entry in shipped.items()} == SHIPPED_URLS
    assert REGISTRY.read_text().count("\n") == len(SHIPPED) + 1  # + the comment line: nothing unpinned


def test_shipped_digests_match_the_shared_sums():
    sums = (shared_or_skip() / "SHA256SUMS").read_text().split("\n")
    listed = {path: f"sha256:{digest}" for digest, path in (line.split() for line in sums if line.strip())}
    assert listed == {name: digest for name, digest in SHIPPED.items() if name.split("/")[0] in ("davis", "kiba")}


def test_shared_mirror_follows_sham_shared(monkeypatch, tmp_path):
    monkeypatch.setenv("SHAM_SHARED", str(tmp_path))
    assert shared_mirror() == tmp_path / "datasets"


@pytest.mark.parametrize("dataset", ["davis", "kiba"])
def test_real_deepdta_files_from_the_shared_mirror(dataset, tmp_path):
    fetched = fetch(dataset, tmp_path / dataset, mirror=shared_or_skip())
    assert sorted(fetched) == sorted(DEEPDTA_FILES)
    for path in DEEPDTA_FILES:
        assert (tmp_path / dataset / path).read_bytes() == (shared_mirror() / dataset / path).read_bytes()
