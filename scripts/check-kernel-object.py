#!/usr/bin/env python3
"""Check that a module's code is what the x86-64 module loader accepts and
what kernel code may run: only relocation types the loader applies (6.1's
apply_relocate_add: 64, 32, 32S, PC32, PLT32, PC64; a GOTPCREL, for one,
is refused at load), and no SSE/AVX or x87 instructions (the kernel does
not save those registers for its own code).

Usage: check-kernel-object.py FILE.ko|FILE.o ...   (exit 1 on a finding)
"""

import re
import subprocess
import sys

ALLOWED = {"R_X86_64_NONE", "R_X86_64_64", "R_X86_64_32", "R_X86_64_32S",
           "R_X86_64_PC32", "R_X86_64_PLT32", "R_X86_64_PC64"}
# %xmm/%ymm/%zmm registers, or an x87 instruction (f-prefixed mnemonics
# that exist only in the FPU set).
FP = re.compile(r"%[xyz]mm\d|\s(fld|fst|fadd|fsub|fmul|fdiv|fild|fist|fxsave|fxrstor)\w*\s")


def check(path: str) -> list[str]:
    problems = []
    relocs = subprocess.run(["readelf", "-rW", path], capture_output=True, text=True,
                            check=True).stdout
    for line in relocs.splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2].startswith("R_X86_64_") and fields[2] not in ALLOWED:
            problems.append(f"relocation the module loader refuses: {line.strip()}")
    code = subprocess.run(["objdump", "-d", "--no-show-raw-insn", path],
                          capture_output=True, text=True, check=True).stdout
    for line in code.splitlines():
        if FP.search(line):
            problems.append(f"floating point / SSE instruction: {line.strip()}")
    return problems


def main() -> int:
    bad = 0
    for path in sys.argv[1:]:
        for p in check(path):
            print(f"{path}: {p}", file=sys.stderr)
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())
