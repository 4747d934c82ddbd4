#!/usr/bin/env python3
"""The sim kernel against the real kernel, side by side: the same module
files (the samples and the kernel-API test modules, built for the kernel
that boots) go through the same scenario (scenario.txt) in Debian's kernel
in QEMU and in the sim kernel, and each step's exit status, the tool's
error line, the bytes read and the kernel's log lines must be the same.

    python3 tests/simko/compare.py --kernel 6.1 --bin-dir target/release

Exits non-zero on any difference, and when either side could not run.
Every log line is compared but for what a booted guest may print on its
own (clocksource, random, …: NOISE), which is listed, not compared, and
the sim kernel's own "sim:" lines. Timestamps are dropped."""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests/vm"))
import run  # noqa: E402
import samples  # noqa: E402


def parse_scenario(path):
    steps = []
    for line in open(path):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        verb, _, rest = line.partition(" ")
        if verb not in ("insmod", "rmmod", "read", "write", "sleep"):
            sys.exit(f"simko: {path}: unknown step: {line}")
        steps.append((verb, rest))
    return steps


def guest_script(steps):
    """The scenario as a dash script printing markers for each step."""
    out = ["dmesg -n 1", "cd /lib/modules/$(uname -r)/extra || exit 1",
           # the broken variants (vermagic) live outside the tree: here too
           "cp /opt/rkmod/*.ko . 2>/dev/null",
           "k() { dmesg -c | sed 's/^\\[[ 0-9.]*\\] //; s/^/@@K /'; }",
           "hex() { printf '@@OUT '; od -An -tx1 -v \"$1\" | tr -d ' \\n'; echo; }",
           "dmesg -c >/dev/null"]
    for i, (verb, rest) in enumerate(steps):
        out.append(f"echo '@@STEP {i}'")
        if verb == "insmod":
            cmd = f"rinsmod {rest}"
        elif verb == "rmmod":
            cmd = f"rrmmod {rest}"
        elif verb == "read":
            cmd = f"cat {shlex.quote(rest)}"
        elif verb == "write":
            path, _, value = rest.partition(" ")
            cmd = f"{{ printf '%s' {shlex.quote(value)} > {shlex.quote(path)}; }}"
        else:
            cmd = f"sleep {int(rest) / 1000}"
        out.append(f"{cmd} >/tmp/out 2>/tmp/err; echo \"@@RC $?\"")
        out.append("sed 's/^/@@ERR /' /tmp/err; hex /tmp/out; k")
    out.append("echo '@@END'")
    return "\n".join(out) + "\n"


def parse_console(text):
    """Steps from the guest's console: {i: {rc, err, out, klog}}."""
    text = re.sub(r"\x1b(c|\[[0-9;?]*[A-Za-z])", "", text).replace("\r", "")
    steps, cur, end = {}, None, False
    for line in text.split("\n"):
        if line.startswith("@@STEP "):
            cur = {"rc": None, "err": [], "out": b"", "klog": []}
            steps[int(line.split()[1])] = cur
        elif line == "@@END":
            end = True
        elif cur is None:
            continue
        elif line.startswith("@@RC "):
            cur["rc"] = int(line[5:])
        elif line.startswith("@@ERR "):
            cur["err"].append(line[6:])
        elif line.startswith("@@OUT"):
            cur["out"] = bytes.fromhex(line[5:].strip())
        elif line.startswith("@@K "):
            cur["klog"].append(line[4:])
    return steps, end


def run_real(kernel, bin_dir, moddir, steps, workdir):
    image, release, kmoddir = run.kernel_61() if kernel == "6.1" else run.kernel_612()
    script = os.path.join(workdir, "guest.sh")
    open(script, "w").write(guest_script(steps))
    args = argparse.Namespace(bin_dir=bin_dir, modules=moddir, scenario=script, extra_real=[])
    rootfs = os.path.join(workdir, "guest")
    os.makedirs(rootfs)
    initrd = run.build_initramfs(args, release, kmoddir, rootfs)
    out, timed_out = run.boot(image, initrd, "", 300, 512)
    open(os.path.join(workdir, "console.log"), "w").write(out)
    got, end = parse_console(out)
    if timed_out or not end:
        sys.exit(f"simko: the real kernel did not finish the scenario (console in {workdir})")
    return release, got


def run_sim(kernel, bin_dir, moddir, steps, release, headers, workdir):
    rkmod = os.path.join(bin_dir, "rkmod")
    state = os.path.join(workdir, "sim")
    extra = os.path.join(state, "lib/modules", release, "extra")
    os.makedirs(extra)
    for f in os.listdir(moddir):
        if f.endswith(".ko"):
            shutil.copy2(os.path.join(moddir, f), extra)
    env = dict(os.environ, RKMOD_SIM=os.path.join(state, "rkmod-sim.sock"))
    r = subprocess.run([rkmod, "sim", "start", "--state", state, "--release", release,
                        "--headers", headers, "--init-timeout", "60"],
                       capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"simko: the sim kernel did not start: {r.stderr}")
    got = {}
    seen = 0
    try:
        for i, (verb, rest) in enumerate(steps):
            if verb == "insmod":
                argv = [os.path.join(bin_dir, "rinsmod")] + shlex.split(rest)
            elif verb == "rmmod":
                argv = [os.path.join(bin_dir, "rrmmod")] + shlex.split(rest)
            elif verb == "read":
                argv = [rkmod, "sim", "read", rest]
            elif verb == "write":
                path, _, value = rest.partition(" ")
                argv = [rkmod, "sim", "write", path, value]
            else:
                argv = ["sleep", str(int(rest) / 1000)]
            p = subprocess.run(argv, cwd=extra, capture_output=True, env=env, timeout=120)
            lines = subprocess.run([rkmod, "sim", "log"], capture_output=True, text=True,
                                   env=env).stdout.splitlines()
            klog = [re.sub(r"^\[[ 0-9.]*\] ", "", line) for line in lines[seen:]]
            seen = len(lines)
            got[i] = {"rc": p.returncode, "err": p.stderr.decode(errors="replace").splitlines(),
                      "out": p.stdout, "klog": [x for x in klog if not x.startswith("sim:")]}
    finally:
        subprocess.run([rkmod, "sim", "stop", "--state", state], capture_output=True, env=env)
    return got


# What a booted guest may print on its own between steps.
NOISE = re.compile(r"^(random|clocksource|tsc|workqueue|hrtimer|rcu|ata\d|input|serial|"
                   r"virtio|PM|ACPI|audit)[: ]")


def relevant(line):
    return not NOISE.match(line)


def compare(steps, real, sim):
    failures, noise = 0, []
    for i, (verb, rest) in enumerate(steps):
        r, s = real.get(i), sim.get(i)
        what = f"step {i + 1}: {verb} {rest}"
        if r is None or s is None:
            print(f"FAIL - {what}: missing on the {'real' if r is None else 'sim'} side")
            failures += 1
            continue
        diffs = []
        if (r["rc"] == 0) != (s["rc"] == 0) or (verb in ("insmod", "rmmod") and r["rc"] != s["rc"]):
            diffs.append(f"exit status: real {r['rc']}, sim {s['rc']}")
        # the tools' first line (kmod's words); hint: lines are rkmod's own
        if verb in ("insmod", "rmmod") and r["err"][:1] != s["err"][:1]:
            diffs.append(f"error line: real {r['err'][:1]}, sim {s['err'][:1]}")
        if r["out"] != s["out"]:
            diffs.append(f"bytes read: real {r['out'][:200]!r} ({len(r['out'])}), "
                         f"sim {s['out'][:200]!r} ({len(s['out'])})")
        rk = [x for x in r["klog"] if relevant(x)]
        noise += [x for x in r["klog"] if not relevant(x)]
        sk = [x for x in s["klog"] if relevant(x)]
        if rk != sk:
            diffs.append("log lines differ:\n" + "\n".join(
                f"    real: {x}" for x in rk) + "\n" + "\n".join(f"    sim:  {x}" for x in sk))
        if diffs:
            failures += 1
            print(f"FAIL - {what}")
            for d in diffs:
                print(f"  | {d}")
        else:
            print(f"ok - {what} ({len(rk)} log lines, {len(r['out'])} bytes read)")
    for x in noise:
        print(f"  (real kernel, not compared: {x})")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", choices=["6.1", "6.12"], default="6.1")
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "target/release"))
    ap.add_argument("--scenario", default=os.path.join(HERE, "scenario.txt"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    args.bin_dir = os.path.abspath(args.bin_dir)
    run.ensure_packages(["qemu-system-x86", "busybox-static", "cpio", "kmod"])
    steps = parse_scenario(args.scenario)
    moddir = samples.build_samples(args.kernel, with_kapi=True)
    _, _, headers = samples.kernel_headers(args.kernel)
    work = tempfile.mkdtemp(prefix="rkmod-simko-")
    try:
        release, real = run_real(args.kernel, args.bin_dir, moddir, steps, work)
        sim = run_sim(args.kernel, args.bin_dir, moddir, steps, release, headers, work)
        failures = compare(steps, real, sim)
    finally:
        if args.keep:
            print(f"simko: work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"simko {args.kernel}: {release}, {len(steps) - failures} of {len(steps)} steps the same, "
          f"{failures} differing")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
