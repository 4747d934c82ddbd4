#!/usr/bin/env python3
"""Write the malformed-input corpus (testdata/malformed/) from one valid,
uncompressed 64-bit little-endian module. Each file breaks one thing."""
import gzip
import lzma
import os
import struct
import sys


def sections(data):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    out = []
    for i in range(shnum):
        off = shoff + i * shentsize
        name, _type, _flags, _addr, offset, size = struct.unpack_from("<IIQQQQ", data, off)
        out.append({"hdr": off, "name": name, "offset": offset, "size": size})
    strtab = out[shstrndx]
    for s in out:
        raw = data[strtab["offset"] + s["name"]:]
        s["str"] = raw[:raw.index(b"\0")].decode()
    return out, shstrndx


def find(secs, name):
    return next(s for s in secs if s["str"] == name)


def main():
    base, outdir = sys.argv[1], sys.argv[2]
    data = open(base, "rb").read()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "needs ELF64 LE"
    secs, shstrndx = sections(data)
    os.makedirs(outdir, exist_ok=True)
    files = {}
    files["empty.ko"] = b""
    files["tiny.ko"] = b"\x7fEL"
    files["not-elf.ko"] = b"this is not a kernel module\n" * 4
    files["truncated-header.ko"] = data[:40]
    files["truncated.ko"] = data[: len(data) // 3]
    # section header table starting past the end of the file
    b = bytearray(data)
    struct.pack_into("<Q", b, 0x28, len(data) + 4096)
    files["shoff-past-end.ko"] = bytes(b)
    # every section's offset past the end (the name table included)
    b = bytearray(data)
    for s in secs[1:]:
        struct.pack_into("<Q", b, s["hdr"] + 24, len(data) + 1)
    files["section-offsets-past-end.ko"] = bytes(b)
    # section name table without its final NUL
    b = bytearray(data)
    st = secs[shstrndx]
    b[st["offset"] + st["size"] - 1] = ord("x")
    files["bad-string-table.ko"] = bytes(b)
    # section name index out of range
    b = bytearray(data)
    struct.pack_into("<H", b, 0x3E, 0xFFF0)
    files["bad-shstrndx.ko"] = bytes(b)
    # wrong section header entry size
    b = bytearray(data)
    struct.pack_into("<H", b, 0x3A, 12)
    files["bad-shentsize.ko"] = bytes(b)
    # .modinfo whose last string runs to the end of the section, no NUL
    b = bytearray(data)
    mi = find(secs, ".modinfo")
    end = mi["offset"] + mi["size"]
    while b[end - 1] == 0:
        b[end - 1] = ord("x")
        end -= 1
    files["modinfo-no-nul.ko"] = bytes(b)
    # .modinfo claimed far larger than the file
    b = bytearray(data)
    struct.pack_into("<Q", b, mi["hdr"] + 32, 1 << 40)
    files["modinfo-size-huge.ko"] = bytes(b)
    # __versions whose size is not a multiple of a record
    try:
        ve = find(secs, "__versions")
        b = bytearray(data)
        struct.pack_into("<Q", b, ve["hdr"] + 32, ve["size"] - 3)
        files["versions-bad-size.ko"] = bytes(b)
    except StopIteration:
        pass
    # compressed containers that do not decompress
    xz = lzma.compress(data)
    files["corrupt.ko.xz"] = xz[: len(xz) // 2] + bytes(64)
    zst_magic = bytes([0x28, 0xB5, 0x2F, 0xFD])
    files["corrupt.ko.zst"] = zst_magic + bytes(range(256)) * 4
    gz = gzip.compress(data, mtime=0)
    files["corrupt.ko.gz"] = gz[: len(gz) // 2]
    files["xz-not-elf.ko.xz"] = lzma.compress(b"plain text, not ELF\n" * 10)
    # a signature trailer with lengths larger than the file
    files["bad-signature.ko"] = data + bytes([1, 4, 2, 200, 200, 0, 0, 0]) + struct.pack(">I", 1 << 30) + b"~Module signature appended~\n"
    for name, content in sorted(files.items()):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(content)
    print(f"wrote {len(files)} files to {outdir}")


if __name__ == "__main__":
    main()
