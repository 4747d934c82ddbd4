#!/usr/bin/env python3
"""Copy a module with its vermagic changed after the release (`SMP` becomes
`UMP`: same length), so that a kernel refuses it without -f even when it
compares only that part (modversions kernels skip the release)."""
import sys

src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
at = data.find(b"vermagic=")
if at < 0:
    sys.exit(f"{src}: no vermagic")
end = data.index(b"\0", at)
smp = data.find(b" SMP ", at, end)
if smp < 0:
    sys.exit(f"{src}: vermagic without SMP")
data[smp + 1] = ord("U")
open(dst, "wb").write(data)
