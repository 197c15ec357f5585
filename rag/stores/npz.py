"""Reading an uncompressed .npz (what `np.savez` writes) with its large arrays memory-mapped in place.

`np.load(..., mmap_mode="r")` maps a .npy file but reads every array of an .npz into memory. The members of a stored
(uncompressed) zip are plain .npy files at known offsets, so a large one can be mapped where it lies: a store keeps
its single checksummed file, and a serving process holds only the pages it reads.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

_LOCAL_HEADER = 30  # a zip local file header's fixed part; name and extra field follow


def read(path: Path, mapped: Iterable[str] = (), min_bytes: int = 0) -> dict[str, np.ndarray]:
    """Every array of the .npz at `path`; the ones named in `mapped` that hold at least `min_bytes` are memory-mapped
    (read-only) instead of read. Raises OSError or ValueError on a file it cannot read."""
    try:
        return _read(path, set(mapped), min_bytes)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"not a readable .npz: {exc}") from None


def _read(path: Path, mapped: set[str], min_bytes: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            name = info.filename.removesuffix(".npy")
            if name in mapped and info.compress_type == zipfile.ZIP_STORED and info.file_size >= max(min_bytes, 1):
                fh.seek(info.header_offset)
                head = fh.read(_LOCAL_HEADER)
                if len(head) != _LOCAL_HEADER or head[:4] != b"PK\x03\x04":
                    raise ValueError(f"{name}: not a zip member header")
                name_len, extra_len = struct.unpack("<HH", head[26:30])
                fh.seek(info.header_offset + _LOCAL_HEADER + name_len + extra_len)
                version = np.lib.format.read_magic(fh)
                reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, fortran, dtype = reader(fh)
                if dtype.hasobject:
                    raise ValueError(f"{name}: object arrays are not stored")
                if int(np.prod(shape)) == 0:
                    out[name] = np.zeros(shape, dtype)
                    continue
                if fh.tell() + int(np.prod(shape)) * dtype.itemsize > info.header_offset + _LOCAL_HEADER + name_len \
                        + extra_len + info.file_size:
                    raise ValueError(f"{name}: its data runs past its zip member")
                out[name] = np.memmap(path, dtype=dtype, mode="r", offset=fh.tell(), shape=shape,
                                      order="F" if fortran else "C")
            else:
                with zf.open(info) as member:
                    out[name] = np.lib.format.read_array(member, allow_pickle=False)
    return out
