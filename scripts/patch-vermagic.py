#!/usr/bin/env python3
"""Copy a module with its vermagic release replaced by another of the same
length (the first character changed), so the kernel rejects it without -f."""
import sys

src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
at = data.find(b"vermagic=")
if at < 0:
    sys.exit(f"{src}: no vermagic")
release = at + len(b"vermagic=")
data[release] = ord("9") if data[release] != ord("9") else ord("8")
open(dst, "wb").write(data)
