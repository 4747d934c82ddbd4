#!/usr/bin/env python3
"""Write a fuzzed-looking modprobe.d file that stresses name resolution:
long alias names and patterns, wildcard aliases and softdeps, long softdep
lists, options and install lines, all split with backslash continuations.

    gen-slow-modprobe-conf.py OUT [--lines N] [--seed S] [--scale K]

The defaults give about 2,000 logical lines and 57 MB, the shape of the
fuzzer's file from issue 11. Resolve through it with
``modprobe -C OUT -S 6.1.0-57-amd64 --show-depends net-pf-40`` (kmod and
rmodprobe must print the same bytes; see bin/tests/slow_config.rs, which
writes a smaller file of the same shape itself).

The mix is deterministic for a seed. Module names that exist in Debian's
6.1 tree appear among the softdeps so that resolution goes somewhere; the
alias and softdep patterns that match them (``*``, ``v*``, ``*sock*``) make
every module of the ``net-pf-40`` plan look up every long name.
"""
import argparse
import random

REAL = ["vsock", "vhost", "vsock_diag", "loop", "nbd", "dummy", "bridge",
        "llc", "stp", "fuse", "tun", "virtio_net", "hv_sock", "xfs"]
MATCHING = ["*", "v*", "*sock*", "*_transport", "hv_*", "vsock", "vmw_*",
            "*[a-z]*", "?sock*", "v[a-z]ock"]
ALPHA = "abcdefghijklmnopqrstuvwxyz0123456789_-"


def long_name(rnd, n):
    return "".join(rnd.choice(ALPHA) for _ in range(n))


def wild(rnd, n):
    """A long pattern: a name with wildcards sprinkled in."""
    out = []
    while len(out) < n:
        r = rnd.random()
        if r < 0.04:
            out.append("*")
        elif r < 0.06:
            out.append("?")
        elif r < 0.07:
            out.append("[a-m]")
        elif r < 0.075:
            out.append("[!x_]")
        else:
            out.append(rnd.choice(ALPHA))
    return "".join(out)


def continued(rnd, line):
    """Split a line with backslash-newline at random points."""
    parts, i = [], 0
    while i < len(line):
        step = rnd.randint(2000, 12000)
        parts.append(line[i:i + step])
        i += step
    return "\\\n".join(parts)


def make(lines, seed, scale):
    rnd = random.Random(seed)
    size = lambda: int(rnd.randint(8000, 50000) * scale)  # noqa: E731
    out = []
    for i in range(lines):
        r = rnd.random()
        if r < 0.35:
            name = wild(rnd, size()) if rnd.random() < 0.5 else long_name(rnd, size())
            target = rnd.choice(REAL) if rnd.random() < 0.5 else long_name(rnd, 40)
            line = f"alias {name} {target}"
        elif r < 0.40:
            # short wildcard aliases that do match requests
            line = f"alias {rnd.choice(['net-pf-4?', 'net_pf_*', '*pf-40', 'vsock*'])} {rnd.choice(REAL)}"
        elif r < 0.65:
            pat = rnd.choice(MATCHING) if rnd.random() < 0.6 else wild(rnd, size() // 4)
            deps = []
            for _ in range(rnd.randint(1, 6)):
                k = rnd.random()
                if k < 0.3:
                    deps.append(rnd.choice(REAL))
                elif k < 0.7:
                    deps.append(long_name(rnd, size() // 3))
                else:
                    deps.append(wild(rnd, size() // 3))
            half = rnd.randint(0, len(deps))
            line = f"softdep {pat} pre: {' '.join(deps[:half])} post: {' '.join(deps[half:])}"
        elif r < 0.75:
            opts = " ".join(f"{long_name(rnd, 12)}={long_name(rnd, size() // 20)}"
                            for _ in range(20))
            line = f"options {rnd.choice(REAL + [long_name(rnd, 60)])} {opts}"
        elif r < 0.85:
            pat = rnd.choice(MATCHING[1:]) if rnd.random() < 0.3 else wild(rnd, size() // 2)
            line = f"install {pat} /bin/true {long_name(rnd, size() // 4)}"
        else:
            line = f"blacklist {long_name(rnd, size())}"
        out.append(continued(rnd, line) if rnd.random() < 0.7 else line)
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=40)
    ap.add_argument("--scale", type=float, default=1.0)
    a = ap.parse_args()
    with open(a.out, "w") as f:
        f.write(make(a.lines, a.seed, a.scale))


if __name__ == "__main__":
    main()
