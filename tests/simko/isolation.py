#!/usr/bin/env python3
"""Crash isolation and refusals of real .ko modules in the sim kernel (no
real kernel has an answer here: an oops there takes the machine's state
with it). A module that dereferences NULL in init, in a kthread or in its
/proc file's show, or that hangs in init, must die alone: the daemon, the
modules of other host processes and their state stay; the log says who
and how. A module importing what the sim kernel does not implement is
refused at load with every such symbol named.

    python3 tests/simko/isolation.py --bin-dir target/release

Each check prints `ok - ` or `FAIL - `; exits non-zero on any failure."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests/vm"))
import samples  # noqa: E402

failures = 0


def check(desc, ok, detail=""):
    global failures
    if ok:
        print(f"ok - {desc}")
    else:
        failures += 1
        print(f"FAIL - {desc}" + (f": {detail}" if detail else ""))


class Sim:
    def __init__(self, bin_dir, state, release, headers, moddir):
        self.bin, self.state = bin_dir, state
        self.extra = os.path.join(state, "lib/modules", release, "extra")
        os.makedirs(self.extra)
        for f in os.listdir(moddir):
            if f.endswith(".ko"):
                shutil.copy2(os.path.join(moddir, f), self.extra)
        self.env = dict(os.environ, RKMOD_SIM=os.path.join(state, "rkmod-sim.sock"))
        r = self.run("rkmod", "sim", "start", "--state", state, "--release", release,
                     "--headers", headers, "--init-timeout", "4")
        if r.returncode != 0:
            sys.exit(f"isolation: the sim kernel did not start: {r.stderr}")

    def run(self, tool, *args):
        return subprocess.run([os.path.join(self.bin, tool), *args], cwd=getattr(self, "extra", None),
                              capture_output=True, text=True, env=self.env, timeout=120)

    def loaded(self):
        out = self.run("rlsmod").stdout.splitlines()[1:]
        return {line.split()[0] for line in out if line.strip()}

    def log(self):
        return self.run("rkmod", "sim", "log").stdout

    def pid(self):
        for line in self.run("rkmod", "sim", "status").stdout.splitlines():
            if line.startswith("pid:"):
                return line.split()[1]
        return None

    def stop(self):
        self.run("rkmod", "sim", "stop", "--state", self.state)


def wait_gone(sim, name, seconds=5):
    end = time.time() + seconds
    while time.time() < end:
        if name not in sim.loaded():
            return True
        time.sleep(0.1)
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", choices=["6.1", "6.12"], default="6.1")
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "target/release"))
    args = ap.parse_args()
    moddir = samples.build_samples(args.kernel, with_kapi=True)
    release, _, headers = samples.kernel_headers(args.kernel)
    work = tempfile.mkdtemp(prefix="rkmod-isolation-")
    sim = Sim(os.path.abspath(args.bin_dir), os.path.join(work, "sim"), release, headers, moddir)
    try:
        for m in ("square.ko", "test_square.ko", "kapi_sync.ko", "khello.ko"):
            r = sim.run("rinsmod", m)
            check(f"bystander {m} loads", r.returncode == 0, r.stderr)
        bystanders = {"square", "test_square", "kapi_sync", "khello"}
        pid = sim.pid()

        r = sim.run("rinsmod", "kapi_crash.ko", "where=init")
        check("NULL dereference in init: the load fails", r.returncode != 0)
        check("... with kmod's error line", "could not insert module kapi_crash.ko" in r.stderr,
              r.stderr)
        log = sim.log()
        check("... the log names the NULL dereference",
              "BUG: NULL pointer dereference, address: 0000000000000000" in log, log[-400:])
        check("... and the module, the signal and the thread",
              'kapi_crash: crashed: signal 11 (SIGSEGV) at address 0x0 in thread "' in log,
              log[-400:])

        r = sim.run("rinsmod", "kapi_crash.ko", "where=thread")
        check("a kthread that crashes later: the load succeeds", r.returncode == 0, r.stderr)
        check("... then the module is gone", wait_gone(sim, "kapi_crash"))
        log = sim.log()
        check("... the log names the kthread",
              'kapi_crash: crashed: signal 11 (SIGSEGV) at address 0x0 in thread "kapi_crash"' in log,
              log[-400:])

        r = sim.run("rinsmod", "kapi_crash.ko", "where=read")
        check("a /proc show that crashes: the load succeeds", r.returncode == 0, r.stderr)
        r = sim.run("rkmod", "sim", "read", "/proc/kapi_crash")
        check("... reading it fails", r.returncode != 0, r.stdout)
        check("... then the module is gone", wait_gone(sim, "kapi_crash"))
        check("... and its file with it",
              sim.run("rkmod", "sim", "read", "/proc/kapi_crash").returncode != 0)

        t0 = time.time()
        r = sim.run("rinsmod", "kapi_crash.ko", "where=hang")
        took = time.time() - t0
        check("init that never returns: the load fails", r.returncode != 0)
        check("... with the kernel's timeout error", "Connection timed out" in r.stderr, r.stderr)
        check(f"... after the init timeout (4 s; took {took:.1f} s)", 3.5 < took < 15)
        check("... and the log says so", "did not return within 4 s" in sim.log())

        r = sim.run("rinsmod", "kapi_unknown.ko")
        check("imports outside the API: refused", r.returncode != 0)
        check("... as the kernel refuses them", "Unknown symbol in module" in r.stderr, r.stderr)
        log = sim.log()
        for sym in ("__pci_register_driver", "alloc_etherdev_mqs", "free_netdev",
                    "pci_unregister_driver"):
            check(f"... {sym} named in the log",
                  f"kapi_unknown: Unknown symbol {sym} (err -2)" in log)

        check("the daemon survived every crash", sim.pid() == pid, f"{pid} -> {sim.pid()}")
        left = sim.loaded()
        check("the bystanders are all still loaded", bystanders <= left, str(left))
        check("... and the crashers are not", "kapi_crash" not in left and "kapi_unknown" not in left)
        r = sim.run("rkmod", "sim", "read", "/proc/helloworld")
        check("a bystander's file still reads", r.returncode == 0 and "hello" in r.stdout, r.stdout)
        r = sim.run("rinsmod", "kapi_crash.ko")
        check("the crasher loads again when told not to crash", r.returncode == 0, r.stderr)
        r = sim.run("rrmmod", "kapi_crash", "test_square", "square", "kapi_sync", "khello")
        check("everything unloads", r.returncode == 0 and not sim.loaded(), r.stderr)
    finally:
        sim.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"isolation {args.kernel}: {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
