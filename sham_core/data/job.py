"""The data stage's jobs (rules download and data): raw files fetched and checked, datasets prepared."""
from ..common.atomic import write_json
from .datasets import prepare


def download_job(source, dest_dir, mirror, manifest_path):
    """Fetch and verify a source's raw files; the manifest (written last) lists them with digests."""
    from .fetch import fetch, registry_entries
    paths = fetch(source, dest_dir, mirror=mirror)
    digests = {entry.path: entry.digest for entry in registry_entries(source)}
    write_json({"source": source, "mirror": mirror, "files": {name: digests[name] for name in sorted(paths)}},
               manifest_path)
    print(f"{source}: {len(paths)} files verified")


def data_job(name, dataset_config, seed, out_dir, raw_dir=None):
    """Prepare one dataset into ``out_dir`` (data.npz, meta.json), from ``raw_dir`` if downloaded."""
    meta = prepare(name, dataset_config, out_dir, seed, raw_dir)
    print(f"dataset {name}: {meta['n_train']} train, {meta['n_test']} test, task {meta['task']}")
