"""py3langid's language identifier, memory-mapped instead of decompressed in every process.

py3langid ships its model as an LZMA-compressed npz. Loading it is nearly all
decompression, in every process that starts the extractor:
the extraction pool's fork server (so the first page of every crawl waits for it) and
``scrapy reextract``. The unpacked arrays are kept once in the user's cache folder,
``$XDG_CACHE_HOME/news-archiver/py3langid-<version>-<model size>/`` (else ``~/.cache``),
and memory-mapped from there, pages shared by every process that maps them.
Without a usable cache the model loads as py3langid loads it.
"""

from __future__ import annotations

import io
import logging
import lzma
import os
import shutil
import tempfile
from array import array
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

__all__ = ["language_identifier", "model_cache_dir"]

logger = logging.getLogger(__name__)

#: The arrays of py3langid's model file (its modelio.save_model).
MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def model_cache_dir(model_path: Path) -> Path:
    """Where the unpacked arrays of ``model_path`` are kept (named by version and size)."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    name = f"py3langid-{version('py3langid')}-{model_path.stat().st_size}"
    return Path(cache) / "news-archiver" / name


def _stdlib_array(values: Any) -> array[int]:
    """A numpy array of unsigned integers as the stdlib array py3langid's state machine walks."""
    import numpy as np

    out: array[int] = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


def _unpack(model_path: Path, cache_dir: Path) -> None:
    """Decompress the model once and write its arrays as .npy files, whole or not at all."""
    import numpy as np

    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    with np.load(io.BytesIO(lzma.decompress(model_path.read_bytes())), allow_pickle=False) as packed:
        arrays = {name: packed[name] for name in MODEL_ARRAYS}
    scratch = Path(tempfile.mkdtemp(prefix=cache_dir.name + ".", dir=cache_dir.parent))
    try:
        for name, values in arrays.items():
            np.save(scratch / f"{name}.npy", values, allow_pickle=False)
        os.rename(scratch, cache_dir)  # atomic; fails if another process got there first
    except OSError:
        if not cache_dir.is_dir():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _load_unpacked(cache_dir: Path) -> dict[str, Any]:
    import numpy as np

    return {name: np.load(cache_dir / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in MODEL_ARRAYS}


@lru_cache(maxsize=1)
def language_identifier() -> Any:
    """py3langid's identifier with normalised probabilities, loaded once per process."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model_path = Path(MODEL_DIR) / MODEL_FILE
    try:
        cache_dir = model_cache_dir(model_path)
        if not cache_dir.is_dir():
            _unpack(model_path, cache_dir)
        arrays = _load_unpacked(cache_dir)
        return LanguageIdentifier(
            arrays["ptc"], arrays["pc"], arrays["classes"].tolist(), _stdlib_array(arrays["nextmove"]),
            arrays["out_feat"].tolist(), norm_probs=True, tk_row=_stdlib_array(arrays["nextmove_row"]),
        )
    except (OSError, ValueError, KeyError) as error:  # no cache folder, a damaged file: the slow way
        logger.warning("Loading py3langid's model without the unpacked cache (%r)", error)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
