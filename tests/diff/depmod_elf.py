#!/usr/bin/env python3
"""Tiny synthetic kernel modules for the depmod differential tests.

``module_bytes(...)`` returns an ELF relocatable object carrying exactly
what depmod reads from a module: ``.modinfo`` strings, the exported symbols
(``__ksymtab_strings``, or ``__crc_*`` symbols with CRCs in ``__kcrctab``),
the needed symbols (undefined, optionally weak) and their ``__versions``
CRCs.  No code: depmod never looks at it.  Both kmod and rkmod read these
files the way they read real modules, so small trees of them can exercise
cycles, aliases, devnames, soft/weak dependencies and CRC checks that the
Debian trees do not contain.

ELF64 little-endian by default; ``bits=32`` and ``big_endian=True`` give
the other layouts.
"""

from __future__ import annotations

import struct

SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB = 1, 2, 3
SHF_ALLOC = 2
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
SHN_UNDEF = 0


class _Strtab:
    def __init__(self) -> None:
        self.data = bytearray(b"\0")
        self.seen: dict[bytes, int] = {}

    def add(self, s: bytes) -> int:
        if s not in self.seen:
            self.seen[s] = len(self.data)
            self.data += s + b"\0"
        return self.seen[s]


def _raw(s) -> bytes:
    return s if isinstance(s, bytes) else s.encode("utf-8", "surrogateescape")


def module_bytes(modinfo=(), exports=(), needs=(), *, crcs=None, need_crcs=None,
                 weak=(), bits=64, big_endian=False) -> bytes:
    """Build a module.

    modinfo   -- "key=value" strings for .modinfo
    exports   -- exported symbol names
    needs     -- symbols the module uses (undefined)
    crcs      -- {export: crc}: export through __crc_ symbols instead of
                 __ksymtab_strings
    need_crcs -- {need: crc}: __versions records
    weak      -- names among `needs` referenced weakly

    Names are str or bytes; a str's lone surrogates (``"\\udcff"``, as
    ``os.fsdecode`` makes them) stand for raw bytes, so a name need not be
    UTF-8 (a corrupted module's).
    """
    e = ">" if big_endian else "<"
    is64 = bits == 64
    modinfo_sec = b"".join(_raw(s) + b"\0" for s in modinfo)
    ksymtab_sec = b"".join(_raw(s) + b"\0" for s in exports) if not crcs else b""
    crc_sec = b""
    versions_sec = b""
    for name, crc in (need_crcs or {}).items():
        rec = struct.pack(e + ("Q" if is64 else "I"), crc) + _raw(name)
        versions_sec += rec.ljust(64, b"\0")

    sections = []  # (name, type, flags, data, link, info, entsize)
    sections.append((".modinfo", SHT_PROGBITS, SHF_ALLOC, modinfo_sec, 0, 0, 0))
    if ksymtab_sec:
        sections.append(("__ksymtab_strings", SHT_PROGBITS, SHF_ALLOC, ksymtab_sec, 0, 0, 0))
    crc_index = None
    if crcs:
        crc_index = len(sections) + 1
        sections.append(("__kcrctab", SHT_PROGBITS, SHF_ALLOC, b"", 0, 0, 0))
    if versions_sec:
        sections.append(("__versions", SHT_PROGBITS, SHF_ALLOC, versions_sec, 0, 0, 0))

    strtab = _Strtab()
    syms = [(0, 0, 0, 0)]  # name, value, info, shndx
    for i, (name, crc) in enumerate((crcs or {}).items()):
        crc_sec += struct.pack(e + "I", crc)
        syms.append((strtab.add(b"__crc_" + _raw(name)), 4 * i,
                     (STB_GLOBAL << 4), crc_index))
    if crcs:
        sections[crc_index - 1] = ("__kcrctab", SHT_PROGBITS, SHF_ALLOC, crc_sec, 0, 0, 0)
    for name in needs:
        bind = STB_WEAK if name in weak else STB_GLOBAL
        syms.append((strtab.add(_raw(name)), 0, bind << 4, SHN_UNDEF))

    symtab_index = len(sections) + 1
    sym = bytearray()
    for name, value, info, shndx in syms:
        if is64:
            sym += struct.pack(e + "IBBHQQ", name, info, 0, shndx, value, 0)
        else:
            sym += struct.pack(e + "IIIBBH", name, value, 0, info, 0, shndx)
    sections.append((".symtab", SHT_SYMTAB, 0, bytes(sym), symtab_index + 1, 1,
                     24 if is64 else 16))
    sections.append((".strtab", SHT_STRTAB, 0, bytes(strtab.data), 0, 0, 0))
    shstr = _Strtab()
    names = [shstr.add(s[0].encode()) for s in sections]
    shstrtab_name = shstr.add(b".shstrtab")
    sections.append((".shstrtab", SHT_STRTAB, 0, b"", 0, 0, 0))
    names.append(shstrtab_name)
    sections[-1] = (".shstrtab", SHT_STRTAB, 0, bytes(shstr.data), 0, 0, 0)

    ehsize = 64 if is64 else 52
    shentsize = 64 if is64 else 40
    body = bytearray()
    offsets = []
    pos = ehsize
    for s in sections:
        pad = (-pos) % 8
        body += b"\0" * pad
        pos += pad
        offsets.append(pos)
        body += s[3]
        pos += len(s[3])
    pad = (-pos) % 8
    body += b"\0" * pad
    shoff = pos + pad
    shdrs = bytearray(b"\0" * shentsize)  # NULL section
    for (name, typ, flags, data, link, info, entsize), off, n in zip(sections, offsets, names):
        if is64:
            shdrs += struct.pack(e + "IIQQQQIIQQ", n, typ, flags, 0, off, len(data),
                                 link, info, 8, entsize)
        else:
            shdrs += struct.pack(e + "IIIIIIIIII", n, typ, flags, 0, off, len(data),
                                 link, info, 4, entsize)
    shnum = len(sections) + 1
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 2 if big_endian else 1, 1, 0]) + b"\0" * 8
    if is64:
        header = ident + struct.pack(e + "HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0,
                                     ehsize, 0, 0, shentsize, shnum, shnum - 1)
    else:
        header = ident + struct.pack(e + "HHIIIIIHHHHHH", 1, 3, 1, 0, 0, shoff, 0,
                                     ehsize, 0, 0, shentsize, shnum, shnum - 1)
    return bytes(header) + bytes(body) + bytes(shdrs)


if __name__ == "__main__":
    import sys
    sys.stdout.buffer.write(module_bytes(["alias=x"], ["a"], ["b"]))
