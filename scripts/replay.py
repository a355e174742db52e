#!/usr/bin/env python3
"""Replay local crawls with pywb: ``make replay`` or ``scripts/replay.py [ARCHIVE] [--port N]``.

Every crawl folder under ARCHIVE (or ARCHIVE itself, if it is one) becomes a pywb
collection named by its crawl id, reading the crawl's WARCs and CDXJ indexes in place;
with several crawls, the collection ``all`` holds every one of them, so a revisit record
of an incremental crawl replays with the earlier crawl's payload.
Nothing is written into the archive: indexes missing for a crawl made without the
index deriver are made in the run folder. pywb runs from its own venv (``.pywb-venv``,
made by ``scripts/pywb-venv.sh``), bound to 127.0.0.1 unless told otherwise. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARC_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc")


def pywb_venv(root: Path = ROOT) -> Path:
    """The pywb venv, made (or checked, which is instant) by ``scripts/pywb-venv.sh``."""
    subprocess.run(["bash", str(root / "scripts" / "pywb-venv.sh")], check=True)
    return root / os.environ.get("PYWB_VENV", ".pywb-venv")


def warc_files(crawl_dir: Path) -> list[Path]:
    folder = crawl_dir / "warc"
    return sorted(p for p in folder.iterdir() if p.name.endswith(WARC_SUFFIXES) and ".wet." not in p.name)


def find_crawls(archive: Path) -> list[Path]:
    """Crawl folders (those with a ``warc/`` folder): the archive itself or its children."""
    if (archive / "warc").is_dir():
        return [archive]
    return sorted(p for p in archive.iterdir() if (p / "warc").is_dir() and warc_files(p))


def index_folder(crawl_dir: Path, run_dir: Path, venv: Path) -> Path:
    """The crawl's ``indexes/`` if it indexes every WARC, else CDXJ made in the run folder."""
    wanted = {stem(p.name) + ".cdxj" for p in warc_files(crawl_dir)}
    own = crawl_dir / "indexes"
    if own.is_dir() and wanted <= {p.name for p in own.glob("*.cdxj")}:
        return own
    made = run_dir / "indexes" / crawl_dir.name
    made.mkdir(parents=True, exist_ok=True)
    for warc in warc_files(crawl_dir):
        target = made / (stem(warc.name) + ".cdxj")
        if not target.exists():
            subprocess.run([str(venv / "bin" / "cdxj-indexer"), "--sort", "--post-append", "-o", str(target),
                            str(warc)], check=True)
    return made


def stem(name: str) -> str:
    for suffix in WARC_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def all_crawls_folder(collections: dict[str, tuple[Path, Path]], run_dir: Path) -> tuple[Path, Path]:
    """Index and WARC folders of the ``all`` collection: links to every crawl's files."""
    folders = run_dir / "all" / "indexes", run_dir / "all" / "warc"
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for link in folder.iterdir():
            link.unlink()
    for indexes, warcs in collections.values():
        for index in indexes.glob("*.cdxj"):
            (folders[0] / index.name).symlink_to(index)
        for path in warc_files(warcs.parent):
            (folders[1] / path.name).symlink_to(path)
    return folders


def write_config(collections: dict[str, tuple[Path, Path]], run_dir: Path) -> Path:
    """pywb's ``config.yaml``: one collection per crawl (JSON is valid YAML)."""
    config = {
        "debug": False,
        "framed_replay": True,
        "collections": {
            name: {"index_paths": str(indexes) + "/", "archive_paths": str(warcs) + "/"}
            for name, (indexes, warcs) in collections.items()
        },
    }
    path = run_dir / "config.yaml"
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return path


def sample_url(index_dir: Path) -> str | None:
    """An HTML page of the crawl to open first."""
    for cdxj in sorted(index_dir.glob("*.cdxj")):
        with open(cdxj, encoding="utf-8") as lines:
            for line in lines:
                fields = json.loads(line.split(" ", 2)[2])
                if fields.get("mime") == "text/html" and str(fields.get("status")) == "200":
                    return str(fields["url"])
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", nargs="?", default="archive", help="archive folder or one crawl folder")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--run-dir", default=str(ROOT / "build" / "replay"),
                        help="where pywb's config and any missing indexes go")
    args = parser.parse_args(argv)
    archive = Path(args.archive).resolve()
    if not archive.is_dir():
        parser.error(f"{archive} is not a folder")
    crawls = find_crawls(archive)
    if not crawls:
        parser.error(f"no crawl folders (with warc/) in {archive}")
    venv = pywb_venv()
    run_dir = Path(args.run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    collections = {crawl.name: (index_folder(crawl, run_dir, venv), crawl / "warc") for crawl in crawls}
    if len(crawls) > 1 and "all" not in collections:
        collections["all"] = all_crawls_folder(collections, run_dir)
    write_config(collections, run_dir)
    base = f"http://{args.bind}:{args.port}"
    print(f"Replaying {len(crawls)} crawl(s) from {archive} with pywb at {base}/")
    for name, (indexes, _warcs) in collections.items():
        url = sample_url(indexes)
        print(f"  {base}/{name}/" + (f"  e.g. {base}/{name}/{url}" if url else ""))
    print("Original bytes: /<crawl_id>/id_/<url>. Stop with Ctrl-C.", flush=True)
    os.chdir(run_dir)  # wayback reads ./config.yaml
    wayback = str(venv / "bin" / "wayback")
    os.execv(wayback, [wayback, "--bind", args.bind, "--port", str(args.port)])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
