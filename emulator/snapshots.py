"""Compact storage for event snapshots (and the answers kept for idempotent replays).

Every event keeps a full copy of its object (a renewal records about a dozen, 25 KB of JSON), so event rows
are most of what the emulator writes. They are stored zstd-compressed with a dictionary trained on the
emulator's own Stripe objects (`spec/events.zdict`, made by `tools/train_event_dictionary.py`): about 12x
smaller for under 3 µs per event, 1 µs to read back. Rows written before compression existed (plain JSON)
are read as they are. Objects themselves stay plain JSON: SQL filters read them with json_extract.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib import resources

import zstandard

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
DICTIONARY_FILE = "spec/events.zdict"
LEVEL = 3
_local = threading.local()


@lru_cache(maxsize=1)
def _dictionary() -> zstandard.ZstdCompressionDict | None:
    path = resources.files("emulator").joinpath(DICTIONARY_FILE)
    if not path.is_file():
        return None
    return zstandard.ZstdCompressionDict(path.read_bytes())


def _codecs() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor] | None:
    # zstandard's (de)compressors are not safe to share between threads.
    codecs = getattr(_local, "codecs", None)
    if codecs is None:
        dictionary = _dictionary()
        if dictionary is None:
            return None
        codecs = _local.codecs = (zstandard.ZstdCompressor(level=LEVEL, dict_data=dictionary, write_checksum=False),
                                  zstandard.ZstdDecompressor(dict_data=dictionary))
    return codecs


def pack(snapshot: bytes) -> bytes:
    """The stored form of an event's object JSON (compressed when the dictionary ships with the package)."""
    codecs = _codecs()
    return codecs[0].compress(snapshot) if codecs is not None else snapshot


def unpack(stored: bytes) -> bytes:
    """The object JSON of a stored event snapshot, compressed or plain."""
    if stored[:4] != ZSTD_MAGIC:
        return stored
    codecs = _codecs()
    if codecs is None:
        raise RuntimeError("This database holds compressed event snapshots but emulator/spec/events.zdict is missing.")
    return codecs[1].decompress(stored)
