"""Verified downloads of the study's datasets with pooch: digests from one registry, retries, atomic writes.

``registry.txt`` holds one line per file: ``<dataset>/<relative path> <algo>:<digest> <url>``.
A mirror (``data: mirror:`` in the config) is a directory or an http(s) URL prefix laid out as
``<mirror>/<dataset>/<relative path>``; it replaces the registry's URLs, never its digests.
pooch writes each file to a temporary name and renames it only once its digest matched.
"""
import os
import shutil
from pathlib import Path
from typing import NamedTuple

import pooch
import requests

REGISTRY = Path(__file__).with_name("registry.txt")
DATASETS_WITH_DOWNLOADS = ("mnist", "cifar10", "cifar100", "davis", "kiba")
ALGORITHMS = ("sha256", "md5")
MIRROR_LAYOUT = ("a directory or http(s) URL prefix laid out as <mirror>/<dataset>/<file>, "
                 "e.g. <mirror>/davis/folds/test_fold_setting1.txt")


class Entry(NamedTuple):
    """One registry line: the file's path inside its dataset, its digest (``algo:hex``) and its upstream URL."""
    path: str
    digest: str
    url: str


class FetchError(RuntimeError):
    """A file could not be fetched: no connection, a server error, or missing on the mirror."""


class DigestMismatch(ValueError):
    """A fetched file differs from the registry's digest (a ValueError, so that pooch retries it)."""


def shared_mirror():
    """The shared datasets folder, a mirror for tests and CI: ``$SHAM_SHARED/datasets``.

    ``SHAM_SHARED`` defaults to ``../shared`` beside the repository root (the folder holding
    ``sham_core/``), whatever the working directory; a relative value is taken from the working directory.
    """
    repository = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("SHAM_SHARED") or repository.parent / "shared") / "datasets"


def registry_entries(dataset, registry_path=REGISTRY):
    """The Entry of each file of ``dataset`` in the registry, in the registry's order."""
    registry = _read_registry(registry_path)
    if dataset not in registry:
        raise ValueError(f"{registry_path} lists no files for dataset {dataset!r}; "
                         f"it lists {', '.join(registry) or 'none'}")
    return registry[dataset]


def fetch(dataset, dest_dir, mirror=None, registry_path=REGISTRY, retries=3):
    """Fetch every file of ``dataset`` into ``dest_dir/<relative path>``, verified; return {relative path: local path}.

    A file already there with the right digest is kept as is. Downloads are retried ``retries``
    times, waiting 1 s, 2 s, 3 s, ... in between (pooch's backoff); copies from a directory are not.
    """
    entries = registry_entries(dataset, registry_path)
    local = mirror is not None and not _is_url(mirror)
    if local and not os.path.isdir(mirror):
        raise FetchError(f"data: mirror: {os.fspath(mirror)!r} is neither an existing directory nor an "
                         f"http(s) URL; it must be {MIRROR_LAYOUT}")
    store = pooch.create(path=dest_dir, base_url="", registry={e.path: e.digest for e in entries},
                         urls={e.path: _source(dataset, e.path, e.url, mirror) for e in entries},
                         retry_if_failed=0 if local else retries)
    download = _copy if local else pooch.HTTPDownloader()
    fetched = {}
    for entry in entries:
        name = f"{dataset}/{entry.path}"
        fetched[entry.path] = _fetch_one(store, name, entry.path, _verified(download, name, entry.digest), mirror)
    return fetched


def _fetch_one(store, name, path, downloader, mirror):
    """One file through pooch; a transport failure becomes a FetchError that says what to change."""
    source = store.get_url(path)
    try:
        return store.fetch(path, downloader=downloader)
    except FileNotFoundError as error:
        raise FetchError(f"the mirror {os.fspath(mirror)!r} has no {name} (looked for {source}); "
                         f"data: mirror: must be {MIRROR_LAYOUT}") from error
    except requests.exceptions.RequestException as error:
        reason = "no connection" if isinstance(error, requests.exceptions.ConnectionError) else str(error)
        advice = (f"Check data: mirror: {mirror!r} in the config" if mirror else
                  "Without internet access, set data: mirror: in the config")
        raise FetchError(f"could not download {name} from {source} ({reason}). "
                         f"{advice}: it must be {MIRROR_LAYOUT}.") from error


def _verified(download, name, digest):
    """A pooch downloader that checks ``digest`` itself, so that a mismatch names the file and both digests."""
    algorithm, _, expected = digest.partition(":")

    def run(url, output_file, store):
        download(url, output_file, store)
        actual = pooch.file_hash(output_file, alg=algorithm)
        if actual.lower() != expected.lower():
            raise DigestMismatch(f"{name} from {url}: {algorithm} digest mismatch: expected {expected}, "
                                 f"got {actual}. The source holds a corrupt or different file; nothing was kept.")
    return run


def _copy(source, output_file, store):
    """A pooch downloader for a directory mirror: copy the file."""
    shutil.copyfile(source, output_file)


def _source(dataset, path, url, mirror):
    """Where to fetch ``dataset/path`` from: the mirror's copy when a mirror is set, else the registry's URL."""
    if mirror is None:
        return url
    if _is_url(mirror):
        return f"{mirror.rstrip('/')}/{dataset}/{path}"
    return os.path.join(mirror, dataset, *path.split("/"))


def _is_url(mirror):
    return str(mirror).startswith(("http://", "https://"))


def _read_registry(registry_path):
    """{dataset: [Entry, ...]} from a registry file; blank lines and ``#`` comments are skipped."""
    registry = {}
    for number, line in enumerate(Path(registry_path).read_text().splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            dataset, entry = _parse_line(line, number, registry_path)
            registry.setdefault(dataset, []).append(entry)
    return registry


def _parse_line(line, number, registry_path):
    """(dataset, Entry) from one registry line, or an error naming the line."""
    fields = line.split()
    algorithm, _, digest = fields[1].partition(":") if len(fields) == 3 else ("", "", "")
    if algorithm not in ALGORITHMS or not digest or "/" not in fields[0]:
        raise ValueError(f"{registry_path}, line {number}: expected "
                         f"'<dataset>/<file> <{'|'.join(ALGORITHMS)}>:<hex digest> <url>', got {line!r}")
    dataset, _, path = fields[0].partition("/")
    return dataset, Entry(path, fields[1], fields[2])
