"""Reads the metadata of a GGUF file without loading the model.

``gguf.GGUFReader`` parses every array (a 262k-token vocabulary takes ~10 s); this reader keeps
scalars and strings and only steps over arrays, so it answers in milliseconds. Used to check a
file before an engine touches it, to pick prompt templates and by ``doctor``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
MAX_STRING = 16 << 20  # a chat template is a few KB; anything this big is a broken file


# llama.cpp's ``general.file_type`` codes: the quantisation most of the weights use.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
}


def quantization_name(code: object) -> str:
    """``general.file_type`` as llama.cpp names it ("Q4_K_M"); "" when absent."""
    try:
        number = int(str(code))
    except ValueError:
        return str(code)
    return FILE_TYPES.get(number, f"type {number}")


class GGUFError(ValueError):
    """The file is not a readable GGUF file; the message says why."""


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    tensor_count: int
    metadata: dict[str, str | int | float | bool]
    array_lengths: dict[str, int]

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    def get_str(self, key: str) -> str:
        value = self.metadata.get(key, "")
        return value if isinstance(value, str) else str(value)

    def get_int(self, key: str) -> int:
        value = self.metadata.get(key, 0)
        return int(value) if isinstance(value, int | float) else 0

    @property
    def quantization(self) -> str:
        code = self.metadata.get("general.file_type")
        return "" if code is None else quantization_name(code)


def is_gguf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"GGUF"
    except OSError:
        return False


def read_header(path: Path) -> GGUFHeader:
    try:
        with path.open("rb") as f:
            return _read(f)
    except OSError as exc:
        raise GGUFError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except struct.error as exc:
        raise GGUFError(f"{path} is truncated or corrupt (metadata ends early)") from exc


def _read(f: BinaryIO) -> GGUFHeader:
    if f.read(4) != b"GGUF":
        raise GGUFError("not a GGUF file (bad magic)")
    (version,) = struct.unpack("<I", f.read(4))
    if version not in (2, 3):
        raise GGUFError(f"unsupported GGUF version {version}")
    tensor_count, kv_count = struct.unpack("<QQ", f.read(16))
    if kv_count > 1_000_000:
        raise GGUFError(f"implausible metadata count {kv_count}")
    metadata: dict[str, str | int | float | bool] = {}
    arrays: dict[str, int] = {}
    for _ in range(kv_count):
        key = _string(f)
        (kind,) = struct.unpack("<I", f.read(4))
        if kind == _ARRAY:
            (item_kind,) = struct.unpack("<I", f.read(4))
            (count,) = struct.unpack("<Q", f.read(8))
            arrays[key] = count
            _skip_array(f, item_kind, count)
        else:
            metadata[key] = _value(f, kind)
    return GGUFHeader(version, tensor_count, metadata, arrays)


def _string(f: BinaryIO) -> str:
    (length,) = struct.unpack("<Q", f.read(8))
    if length > MAX_STRING:
        raise GGUFError(f"implausible string length {length}")
    data = f.read(length)
    if len(data) != length:
        raise struct.error("short read")
    return data.decode("utf-8", "replace")


def _value(f: BinaryIO, kind: int) -> str | int | float | bool:
    if kind == _STRING:
        return _string(f)
    fmt = _SCALARS.get(kind)
    if fmt is None:
        raise GGUFError(f"unknown metadata type {kind}")
    size = struct.calcsize(fmt)
    (value,) = struct.unpack(fmt, f.read(size))
    return value  # type: ignore[no-any-return]


def _skip_array(f: BinaryIO, kind: int, count: int) -> None:
    if kind == _STRING:
        for _ in range(count):
            (length,) = struct.unpack("<Q", f.read(8))
            if length > MAX_STRING:
                raise GGUFError(f"implausible string length {length}")
            f.seek(length, 1)
    elif kind in _SCALARS:
        f.seek(struct.calcsize(_SCALARS[kind]) * count, 1)
    else:
        raise GGUFError(f"unsupported array item type {kind}")
