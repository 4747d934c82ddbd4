#!/usr/bin/env python3
"""complete_line.py SCRIPT LINE: the command line after LINE<TAB> in an
interactive bash (readline's own completion, with its word splitting at
COMP_WORDBREAKS) that sourced SCRIPT. Prints the line as readline leaves
it. Used by bin/tests/docs.rs next to the direct calls of the functions."""
import os
import pty
import select
import sys
import time

script, line = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])


def read_until(marker, timeout=20.0):
    out, end = b"", time.time() + timeout
    while time.time() < end and marker not in out:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out


os.write(fd, f"PS1='<ready>'; bind 'set bell-style none'; source '{script}'\n".encode())
read_until(b"<ready>")
read_until(b"<ready>", 0.5)
# the line, <TAB>, then C-t, bound to print what readline holds (the
# markers are written split so that the echoed bind never matches)
os.write(fd, b"bind -x '\"\\C-t\": printf \"<li\"\"ne>%s</li\"\"ne>\\n\" \"$READLINE_LINE\"'\n")
read_until(b"<ready>")
os.write(fd, line.encode() + b"\t")
time.sleep(0.5)
os.write(fd, b"\x14")
out = read_until(b"</line>").decode(errors="replace")
os.write(fd, b"\x15exit\n")
start = out.rfind("<line>")
end = out.rfind("</line>")
if start < 0 or end < 0:
    sys.exit(f"no line in {out!r}")
print(out[start + len("<line>"):end])
