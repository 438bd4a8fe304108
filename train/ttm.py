"""Writer and reader of telltale model files (`.ttm`, docs/model-format.md, format version 1).

    write_ttm(path, meta, tensors)   meta: the metadata dict; tensors: {name: numpy array}
    read_ttm(path) -> (meta, tensors)
    quantize_rows(w) -> (q int8, scale float32)   symmetric per-row int8 as the spec says

The C loader (src/model.c) reads what write_ttm writes; tests/c/test_model.c checks it on the
committed fixture tests/fixtures/tiny.ttm.
"""
import json
import os
import struct
import zlib

import numpy as np

MAGIC = b"TTM1"
VERSION = 1
HEADER = struct.Struct("<4sIIIQQII")  # magic, version, json_len, n_tensors, payload_offset, payload_size, crc, reserved
ENTRY = struct.Struct("<64sII4IQ")    # name, dtype, ndim, shape[4], offset
ALIGN = 64
MAX_TENSORS = 4096
DTYPES = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.int32): 2}
NP_OF = {0: np.dtype("<f4"), 1: np.dtype("i1"), 2: np.dtype("<i4")}


def _align(n, a=ALIGN):
    return (n + a - 1) // a * a


def quantize_rows(w):
    """Symmetric per-row int8: w[o] ≈ scale[o] · q[o], scale = max|w[o]| / 127, q = round(w / scale)
    clamped to [-127, 127] (round half to even; an all-zero row gets scale 1 and q = 0)."""
    w = np.asarray(w, dtype=np.float32)
    if w.ndim != 2:
        raise ValueError(f"quantize_rows: expected a 2-D array, got shape {w.shape}")
    amax = np.abs(w).max(axis=1)
    scale = np.where(amax > 0, amax / np.float32(127.0), np.float32(1.0)).astype(np.float32)
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def write_ttm(path, meta, tensors):
    """Write a model file: header, metadata JSON, tensor table, 64-byte-aligned payload. Written to
    path + ".tmp" and renamed, so that rewriting a model in place never leaves half a file."""
    js = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if b"\0" in js:
        raise ValueError("metadata JSON must not contain NUL")
    if len(tensors) > MAX_TENSORS:
        raise ValueError(f"at most {MAX_TENSORS} tensors, got {len(tensors)}")
    entries, blobs, off = [], [], 0
    for name, arr in tensors.items():
        a = np.asarray(arr)
        if a.dtype not in DTYPES:
            raise ValueError(f"tensor {name!r}: dtype {a.dtype} is not float32, int8 or int32")
        if not 1 <= a.ndim <= 4:
            raise ValueError(f"tensor {name!r}: ndim {a.ndim} not in 1..4")
        nb = name.encode("utf-8")
        if not nb or len(nb) > 63 or b"\0" in nb:
            raise ValueError(f"tensor {name!r}: name must be 1..63 UTF-8 bytes without NUL")
        dt = DTYPES[a.dtype]
        data = np.ascontiguousarray(a, dtype=NP_OF[dt]).tobytes()
        shape = list(a.shape) + [1] * (4 - a.ndim)
        entries.append(ENTRY.pack(nb, dt, a.ndim, *shape, off))
        blobs.append((off, data))
        off = _align(off + len(data))
    names = list(tensors)
    if len(set(names)) != len(names):
        raise ValueError("tensor names must be unique")
    payload = bytearray(off if blobs else 0)
    for o, data in blobs:
        payload[o:o + len(data)] = data
    # the payload ends with the last tensor's data (no trailing padding needed)
    if blobs:
        last_o, last_d = blobs[-1]
        del payload[last_o + len(last_d):]
    table_end = HEADER.size + len(js) + ENTRY.size * len(entries)
    payload_offset = _align(table_end)
    crc = zlib.crc32(bytes(payload)) & 0xFFFFFFFF
    header = HEADER.pack(MAGIC, VERSION, len(js), len(entries), payload_offset, len(payload), crc, 0)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(header)
        f.write(js)
        f.write(b"".join(entries))
        f.write(b"\0" * (payload_offset - table_end))
        f.write(payload)
    os.replace(tmp, path)


def read_ttm(path):
    """Read and check a model file → (meta dict, {name: numpy array}) (arrays are copies)."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < HEADER.size:
        raise ValueError(f"{path}: {len(buf)} bytes, shorter than the header")
    magic, ver, jl, nt, po, ps, crc, res = HEADER.unpack_from(buf, 0)
    if magic != MAGIC or ver != VERSION or res != 0:
        raise ValueError(f"{path}: bad magic/version/reserved: {magic!r} {ver} {res}")
    table_end = HEADER.size + jl + ENTRY.size * nt
    if nt > MAX_TENSORS or po % ALIGN or po < table_end or po + ps != len(buf):
        raise ValueError(f"{path}: bad header sizes (json {jl}, tensors {nt}, payload {po}+{ps}, file {len(buf)})")
    payload = buf[po:]
    if zlib.crc32(payload) & 0xFFFFFFFF != crc:
        raise ValueError(f"{path}: payload CRC-32 mismatch")
    meta = json.loads(buf[HEADER.size:HEADER.size + jl].decode("utf-8"))
    tensors = {}
    for i in range(nt):
        nb, dt, nd, s0, s1, s2, s3, off = ENTRY.unpack_from(buf, HEADER.size + jl + ENTRY.size * i)
        name = nb.split(b"\0", 1)[0].decode("utf-8")
        if dt not in NP_OF or not 1 <= nd <= 4:
            raise ValueError(f"{path}: tensor {name!r}: bad dtype {dt} or ndim {nd}")
        shape = (s0, s1, s2, s3)[:nd]
        n = int(np.prod(shape, dtype=np.int64)) * NP_OF[dt].itemsize
        if off % ALIGN or off + n > ps:
            raise ValueError(f"{path}: tensor {name!r}: data outside the payload")
        if name in tensors:
            raise ValueError(f"{path}: tensor {name!r} appears twice")
        tensors[name] = np.frombuffer(payload, dtype=NP_OF[dt], count=n // NP_OF[dt].itemsize,
                                      offset=off).reshape(shape).copy()
    return meta, tensors
