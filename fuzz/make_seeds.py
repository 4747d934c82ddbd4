#!/usr/bin/env python3
"""Regenerate fuzz/seeds/: the seed corpora of the fuzz targets, from the
repository's real inputs (testdata/ modules and indexes, the configuration
the differential tests use, this machine's modprobe.d) plus what is made
here: compressed copies made with the kernel's own settings, a module
signed with a throwaway key (PKCS#7, as sign-file does), hand-made
signature trailers, a sim `.so`, larger indexes written in kmod's format,
and protocol streams.

Needs: python3, xz, zstd, gzip, openssl, gcc, and the cross compilers
aarch64-linux-gnu-gcc and riscv64-linux-gnu-gcc (modload's seeds for its
other engines). The output is committed; run this only to change the seeds
(`python3 fuzz/make_seeds.py`).
"""

import glob
import os
import shutil
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SEEDS = os.path.join(HERE, "seeds")
KDIR = os.path.join(REPO, "testdata/kernel/6.1.0-56-amd64")
ROOT = os.path.join(REPO, "testdata/golden/root/lib/modules/6.1.0-56-amd64")


def out(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def run(cmd, data):
    return subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True).stdout


# --- module files ---------------------------------------------------------

SIG_MAGIC = b"~Module signature appended~\n"


def trailer(algo, hash_, id_type, signer_len, key_len, sig_len):
    return struct.pack(">BBBBB3xI", algo, hash_, id_type, signer_len, key_len, sig_len) + SIG_MAGIC


def pkcs7_sign(module, tmp):
    """Sign as the kernel's sign-file does: detached CMS, no attributes,
    issuer and serial as the signer identifier, SHA-256."""
    key, crt, src, sig = (os.path.join(tmp, n) for n in ("k.pem", "c.pem", "m.ko", "s.p7"))
    subprocess.run(["openssl", "req", "-new", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "36500", "-subj", "/O=rkmod/CN=rkmod fuzz seed signing key",
                    "-keyout", key, "-out", crt], check=True, capture_output=True)
    with open(src, "wb") as f:
        f.write(module)
    subprocess.run(["openssl", "cms", "-sign", "-binary", "-noattr", "-nocerts", "-nosmimecap",
                    "-md", "sha256", "-in", src, "-signer", crt, "-inkey", key,
                    "-outform", "DER", "-out", sig], check=True, capture_output=True)
    blob = read(sig)
    return module + blob + trailer(0, 0, 2, 0, 0, len(blob))


def sim_so(tmp):
    c = os.path.join(tmp, "fuzz_so.c")
    so = os.path.join(tmp, "fuzz_so.so")
    with open(c, "w") as f:
        f.write(r'''
__attribute__((section(".modinfo"), used)) static const char mi[] =
    "name=fuzz_so\0license=GPL\0alias=fuzz-so-alias\0parm=msg:a message\0parmtype=msg:charp";
int fuzz_export(void) { return 1; }
__attribute__((section("__ksymtab_strings"), used)) static const char ks[] = "fuzz_export";
__attribute__((section("__ksymtab_gpl"), used)) static const char kg[] = "fuzz_export";
extern int printk_like(const char *);
int use(void) { return printk_like("x"); }
''')
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-nostdlib", "-Wl,--unresolved-symbols=ignore-all",
                    "-o", so, c], check=True)
    subprocess.run(["strip", "--strip-unneeded", so], check=True)
    return read(so)


def modfile_seeds(tmp):
    for path in sorted(glob.glob(os.path.join(KDIR, "*.ko"))):
        out("modfile", os.path.basename(path), read(path))
    for path in sorted(glob.glob(os.path.join(REPO, "testdata/malformed/*"))):
        out("modfile", "malformed-" + os.path.basename(path), read(path))
    out("modfile", "square_xz.ko.xz", read(os.path.join(ROOT, "kernel/fake/square_xz.ko.xz")))
    square = read(os.path.join(KDIR, "square.ko"))
    test_cube = read(os.path.join(KDIR, "test_cube.ko"))
    # The kernel's own compression settings (scripts/Makefile.modinst).
    out("modfile", "square.ko.xz", run(["xz", "--check=crc32", "--lzma2=dict=1MiB"], square))
    out("modfile", "square.ko.zst", run(["zstd", "-T0", "--rm", "-f", "-q", "-c"], square))
    out("modfile", "square.ko.gz", run(["gzip", "-n", "-9"], square))
    out("modfile", "test_cube.ko.zst", run(["zstd", "-q", "-c", "--no-check"], test_cube))
    # Two xz streams and two gzip members back to back (multi decoders).
    out("modfile", "square-2streams.ko.xz",
        run(["xz", "--check=crc32"], square[:4000]) + run(["xz", "--check=crc32"], square[4000:]))
    out("modfile", "square-2members.ko.gz",
        run(["gzip", "-n"], square[:4000]) + run(["gzip", "-n"], square[4000:]))
    signed = pkcs7_sign(square, tmp)
    out("modfile", "square-signed-pkcs7.ko", signed)
    out("modfile", "square-signed-pkcs7.ko.xz", run(["xz", "--check=crc32"], signed))
    # Old-style trailers kmod also reports: signer and key id in the clear.
    signer, key_id, sig = b"rkmod seed signer", bytes(range(20)), bytes(range(64))
    for id_type, name in ((0, "pgp"), (1, "x509")):
        out("modfile", f"square-signed-{name}.ko",
            square + signer + key_id + sig + trailer(1, 4, id_type, len(signer), len(key_id), len(sig)))
    out("modfile", "fuzz_so.so", sim_so(tmp))


def modload_seeds(tmp):
    """The loader's seeds: the uncompressed module seeds (x86-64), and
    objects for its aarch64 and riscv64 engines compiled from the loader's
    test corpus: every relocation type written out in assembler, the
    sample modules with the tests' stand-in kernel headers, the GOT forms
    (-fpic), aarch64's large model, riscv64 with relaxation (RELAX, ALIGN
    and the ADD/SUB/SET families in .eh_frame)."""
    for name in sorted(os.listdir(os.path.join(SEEDS, "modfile"))):
        if name.endswith(".ko"):
            out("modload", name, read(os.path.join(SEEDS, "modfile", name)))
    modload_cross_seeds(tmp)


def modload_cross_seeds(tmp):
    tests = os.path.join(REPO, "crates/modload/tests")
    shim = os.path.join(tests, "cross/shim")
    src = os.path.join(REPO, "testdata/kmod-src")
    base = ["-ffreestanding", "-fno-common", "-fno-stack-protector", "-I", shim]
    builds = {
        "aarch64": [
            ("relocs", os.path.join(tests, "corpus/relocs-aarch64.S"), ["-O2"]),
            ("test_square", os.path.join(src, "test_square.c"),
             ["-O2", "-fno-pic", "-fno-asynchronous-unwind-tables"]),
            ("khello-large", os.path.join(src, "khello.c"), ["-O0", "-fno-pic", "-mcmodel=large"]),
            ("data-pic", os.path.join(tests, "corpus/data.c"), ["-O2", "-fpic"]),
        ],
        "riscv64": [
            ("relocs", os.path.join(tests, "corpus/relocs-riscv64.S"), ["-O2"]),
            ("test_square", os.path.join(src, "test_square.c"),
             ["-O2", "-fno-pic", "-mno-relax", "-fno-asynchronous-unwind-tables"]),
            ("khello-relax", os.path.join(src, "khello.c"), ["-O2", "-fno-pic", "-mrelax"]),
            ("switch-align", os.path.join(tests, "corpus/switch.c"),
             ["-O2", "-fno-pic", "-mrelax", "-falign-functions=16"]),
            ("data-pic", os.path.join(tests, "corpus/data.c"), ["-O2", "-fpic", "-mno-relax"]),
        ],
    }
    for arch, items in builds.items():
        for name, source, flags in items:
            obj = os.path.join(tmp, f"{arch}-{name}.o")
            subprocess.run([f"{arch}-linux-gnu-gcc", "-c", *base, *flags, source, "-o", obj], check=True)
            out("modload", f"{arch}-{name}.o", read(obj))


# --- indexes --------------------------------------------------------------

def index_bytes(entries):
    """kmod's index format (magic, version 2.1, root; nodes in post-order),
    from (key, value, priority) triples; values of a key by priority."""
    root = {"children": {}, "values": []}
    for key, value, prio in entries:
        node = root
        for ch in key:
            node = node["children"].setdefault(ch, {"children": {}, "values": []})
        node["values"].append((prio, value))

    out_ = bytearray(struct.pack(">III", 0xB007F457, 0x00020001, 0))

    def write(node):
        # A chain of single children without values becomes a prefix.
        prefix = bytearray()
        while len(node["children"]) == 1 and not node["values"]:
            (ch, child), = node["children"].items()
            prefix.append(ch)
            node = child
        return prefix, node

    def emit(node, prefix):
        refs = {}
        for ch in sorted(node["children"]):
            p, n = write(node["children"][ch])
            refs[ch] = emit(n, p)
        off = len(out_)
        ref = off
        if prefix:
            out_.extend(prefix + b"\0")
            ref |= 0x80000000
        if refs:
            first, last = min(refs), max(refs)
            out_.extend(bytes([first, last]))
            for ch in range(first, last + 1):
                out_.extend(struct.pack(">I", refs.get(ch, 0)))
            ref |= 0x20000000
        if node["values"]:
            vals = sorted(node["values"], key=lambda v: v[0])
            out_.extend(struct.pack(">I", len(vals)))
            for prio, value in vals:
                out_.extend(struct.pack(">I", prio) + value + b"\0")
            ref |= 0x40000000
        return ref

    p, n = write(root)
    r = emit(n, p)
    out_[8:12] = struct.pack(">I", r)
    return bytes(out_)


ALIASES = [
    (b"pci:v00008086d000010D3sv*sd*bc*sc*i*", b"e1000e"),
    (b"pci:v00008086d000010F6sv*sd*bc*sc*i*", b"e1000e"),
    (b"pci:v00008086d*sv*sd*bc03sc*i*", b"i915"),
    (b"pci:v000010ECd00008168sv*sd*bc*sc*i*", b"r8169"),
    (b"pci:v*d*sv*sd*bc01sc06i01*", b"ahci"),
    (b"usb:v05ACp*d*dc*dsc*dp*ic03isc*ip*in*", b"usbhid"),
    (b"usb:v*p*d*dc*dsc*dp*ic08isc06ip50in*", b"usb_storage"),
    (b"usb:v0BDAp8153d*dc*dsc*dp*icFFisc*ip*in*", b"r8152"),
    (b"acpi*:PNP0A08:*", b"pci_root"),
    (b"acpi*:INT33C2:*", b"i2c_designware_platform"),
    (b"of:N*T*Cnvidia,tegra20-i2c", b"i2c_tegra"),
    (b"of:N*T*Cnvidia,tegra20-i2cC*", b"i2c_tegra"),
    (b"platform:serial8250", b"8250"),
    (b"cpu:type:x86,ven*fam*mod*:feature:*0081*", b"aesni_intel"),
    (b"virtio:d00000001v*", b"virtio_net"),
    (b"fs-ext4", b"ext4"),
    (b"char-major-10-229", b"fuse"),
    (b"devname:fuse", b"fuse"),
    (b"net-pf-10", b"ipv6"),
    (b"crypto-sha256", b"sha256_generic"),
    (b"hid:b0003g*v0000046Dp0000C52B", b"hid_logitech_dj"),
    (b"input:b*v*p*e*-e*1,*k*r*a*m*l*s*f*w*", b"evdev"),
    (b"scsi:t-0x00*", b"sd_mod"),
    (b"dmi*:svnLENOVO:*pvrThinkPad*:*", b"thinkpad_acpi"),
    (b"sdio:c*v02D0d4324*", b"brcmfmac"),
    (b"[0-9]*x?y\\*", b"odd_pattern"),
    (b"rkmod-hello", b"khello"),
]


def modindex_seeds():
    for path in sorted(glob.glob(os.path.join(ROOT, "*.bin"))):
        name = os.path.basename(path)
        out("modindex", name, read(path))
    mark = b"\n==keys==\n"
    out("modindex", "modules.alias.bin+keys", read(os.path.join(ROOT, "modules.alias.bin"))
        + mark + b"rkmod-hello\nrkmod-hellox\nrkmod\n*\n")
    out("modindex", "modules.symbols.bin+keys", read(os.path.join(ROOT, "modules.symbols.bin"))
        + mark + b"symbol:square\nsymbol:\nsymbol:squar\nsymbol:cube\n")
    entries = [(k, v, i) for i, (k, v) in enumerate(ALIASES)]
    entries += [(k, v + b"_dup", i + 1) for i, (k, v) in enumerate(ALIASES[:5])]
    big = index_bytes(entries)
    out("modindex", "aliases-realistic.bin", big)
    out("modindex", "aliases-realistic.bin+keys", big + mark + b"\n".join([
        b"pci:v00008086d000010D3sv00001028sd000004AAbc02sc00i00",
        b"pci:v00008086d00003E92sv00001028sd0000085Abc03sc00i00",
        b"usb:v05ACp0250d0224dc00dsc00dp00ic03isc01ip02in01",
        b"acpi:PNP0A08:PNP0A03:",
        b"of:Ni2cT(null)Cnvidia,tegra20-i2c",
        b"cpu:type:x86,ven0000fam0006mod009E:feature:,0000,0001,0081,0089",
        b"fs-ext4", b"net-pf-10", b"5ax?y*", b"fuse",
    ]))
    deps = [(b"e1000e", b"kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko.xz: kernel/drivers/ptp/ptp.ko.xz kernel/drivers/pps/pps_core.ko.xz", 0),
            (b"ptp", b"kernel/drivers/ptp/ptp.ko.xz: kernel/drivers/pps/pps_core.ko.xz", 1),
            (b"pps_core", b"kernel/drivers/pps/pps_core.ko.xz:", 2),
            (b"i915", b"kernel/drivers/gpu/drm/i915/i915.ko.xz: kernel/drivers/gpu/drm/drm.ko.xz", 3),
            (b"drm", b"kernel/drivers/gpu/drm/drm.ko.xz:", 4)]
    out("modindex", "deps-realistic.bin", index_bytes(deps))
    syms = [(b"symbol:" + s, m, i) for i, (s, m) in enumerate([
        (b"ptp_clock_register", b"ptp"), (b"ptp_clock_unregister", b"ptp"),
        (b"pps_register_source", b"pps_core"), (b"drm_dev_alloc", b"drm"),
        (b"drm_dev_register", b"drm"), (b"square", b"square")])]
    out("modindex", "symbols-realistic.bin", index_bytes(syms))


# --- configuration --------------------------------------------------------

SECTION = b"\n%%\n"

DEPMOD_D = [
    b"search updates ubuntu built-in\n",
    b"# depmod.d\nsearch updates extra external built-in\noverride snd_foo 6.1.* extra/alsa\n"
    b"override e1000e * updates/net\nexternal 6.1.0-* /opt/modules\nexternal 5.* /old\n"
    b"exclude debug .git\ninclude /etc/other\nmake_map_files\nbogus line\noverride short\n",
    b"override x (6\\.1|6\\.12)\\.0-[0-9]+-amd64$ d\nexternal [invalid /dir\n"
    b"search \\\n  continued built-in\n",
]

CMDLINES = [
    b"BOOT_IMAGE=/boot/vmlinuz-6.1.0-56-amd64 root=UUID=1234 ro quiet",
    b"quiet modprobe.blacklist=pcspkr,snd_pcsp,,nouveau snd-hda-intel.model=auto e1000e.IntMode=1,1 "
    b"usbcore.autosuspend=-1 i915.enable_guc=2 \"m.p=a b\" m2.p=\"x y\" bad\"quote x.=1 =y .z a.b.c=1",
    b"modprobe.blacklist=a-b,,c, mod.flag m\"od.x=1 \"unterminated",
]


def modconf_seeds():
    for path in sorted(glob.glob("/lib/modprobe.d/*.conf") + glob.glob("/etc/modprobe.d/*.conf")):
        out("modconf", "host-" + os.path.basename(path), read(path))
    out("modconf", "modules.softdep", read(os.path.join(ROOT, "modules.softdep")))
    out("modconf", "modules.alias", read(os.path.join(ROOT, "modules.alias")))
    src = read(os.path.join(REPO, "tests/diff/modprobe_config_diff.py")).decode()
    ns = {}
    for name in ("MAIN_CONF", "WEAKDEP_CONF"):
        start = src.index(name + " = (")
        end = src.index("\n)\n", start) + 3
        exec(src[start:end], ns)
    out("modconf", "diff-main.conf", ns["MAIN_CONF"])
    out("modconf", "diff-weakdep.conf", ns["WEAKDEP_CONF"])
    for i, d in enumerate(DEPMOD_D):
        out("modconf", f"depmod-{i}.conf", SECTION + d)
    for i, c in enumerate(CMDLINES):
        out("modconf", f"cmdline-{i}", c)
    out("modconf", "sections-all", SECTION.join([
        ns["MAIN_CONF"], DEPMOD_D[1], CMDLINES[1],
        b"6.1.0-56-amd64 e1000e pci:v00008086d000010D3 foo-bar snd_hda_intel pcspkr x y i915 wd1"]))
    out("modconf", "sections-kmod", SECTION.join([
        read("/lib/modprobe.d/aliases.conf") if os.path.exists("/lib/modprobe.d/aliases.conf") else b"",
        DEPMOD_D[2], CMDLINES[2], b"6.12.0-1-amd64 char-major-10-229 binfmt-0064 a_b"]))


# --- sim protocol ---------------------------------------------------------

def frame(body):
    return struct.pack(">I", len(body)) + body


REQUESTS = [
    b'{"version":1,"op":"insert","path":"/abs/khello.so","params":"msg=hi io=3"}',
    b'{"version":1,"op":"insert","path":"/m/x.so","params":"a=\\"b c\\" flag d-e=0x10","flags":{"ignore_vermagic":true,"ignore_modversions":false}}',
    b'{"version":1,"op":"remove","name":"khello","force":false}',
    b'{"version":1,"op":"set_param","module":"counter","param":"step","value":"5"}',
    b'{"version":1,"op":"list"}',
    b'{"version":1,"op":"status"}',
    b'{"version":1,"op":"log","since":3,"max":100}',
    b'{"op":"list"}',
    b'{"version":"1","op":"list"}',
    b'{"version":2,"op":"list"}',
    b'{"version":1,"op":"reboot"}',
    b'{"version":1,"op":"insert","path":5}',
    b'{"version":1,"op":"remove","name":"../../etc"}',
]

RESPONSES = [
    b'{"version":1,"ok":{"kind":"inserted","name":"khello"}}',
    b'{"version":1,"error":{"errno":11,"message":"Module khello is in use"}}',
    b'{"version":1,"ok":{"kind":"param_set"}}',
    b'{"version":1,"ok":{"kind":"modules","modules":[{"name":"square","size":4096,"refcnt":1,"holders":["test_square"],"uses":[],"state":"Live","path":"/m/square.so","host_pid":42,"params":{"p":"1"}}]}}',
    b'{"version":1,"ok":{"kind":"log","entries":[{"seq":0,"usec":3000042,"level":6,"text":"khello: hi"}],"next":1}}',
    b'{"version":1,"ok":{"kind":"status","protocol_version":1,"interface_version":1,"release":"6.1.0-sim","pid":1,"uptime_ms":5,"state_dir":"/s","socket":"/s/rkmod-sim.sock","module_root":"/s/lib/modules/6.1.0-sim","modules":0,"hosts":[{"pid":2,"modules":["a"]}],"crashes":0,"log_next":0}}',
]

HOST = [
    b'{"seq":1,"call":{"call":"load","id":3,"name":"khello","path":"/m/khello.so","global":true,"params":[["msg","hi"],["flag",null]]}}',
    b'{"seq":2,"call":{"call":"unload","id":3,"run_fini":true,"exit_after":false}}',
    b'{"seq":4,"call":{"call":"set_param","id":3,"param":"msg","value":"x"}}',
    b'{"msg":"ready","pid":7}',
    b'{"msg":"log","mono_ns":1,"level":6,"text":"hi"}',
    b'{"msg":"reply","seq":1,"result":{"Ok":{"done":"loaded","has_hello":true,"has_fini":false,"params":[{"name":"msg","perm":420,"value":"hi"}]}}}',
    b'{"msg":"reply","seq":2,"result":{"Err":{"errno":22,"message":"bad"}}}',
]


def sim_protocol_seeds():
    for i, r in enumerate(REQUESTS):
        out("sim_protocol", f"request-{i:02}", bytes([i % 9]) + frame(r))
    out("sim_protocol", "session", b"\x00" + b"".join(frame(r) for r in REQUESTS[:7]))
    out("sim_protocol", "session-trickle", b"\x03" + b"".join(frame(r) for r in REQUESTS[:7]))
    for i, r in enumerate(RESPONSES):
        out("sim_protocol", f"response-{i:02}", b"\x00" + frame(r))
    for i, r in enumerate(HOST):
        out("sim_protocol", f"host-{i:02}", b"\x00" + frame(r))
    out("sim_protocol", "oversize", b"\x00" + struct.pack(">I", (1 << 20) + 1) + b"{}")
    out("sim_protocol", "truncated", b"\x01" + struct.pack(">I", 100) + b'{"version":1')
    out("sim_protocol", "empty-frame", b"\x00" + struct.pack(">I", 0))


# --- fnmatch --------------------------------------------------------------

def fnmatch_seeds():
    pairs = [(k, b"pci:v00008086d000010D3sv00001028sd000004AAbc02sc00i00") for k, _ in ALIASES[:5]]
    pairs += [
        (b"usb:v[0-9A-F]*-x", b"usb:v1-x"), (b"[!a-c]x", b"dx"), (b"[^a-c]x", b"ax"),
        (b"[]a]", b"]"), (b"[a-]", b"-"), (b"[[:alpha:]]*[[:digit:]]", b"a9"),
        (b"[[:bogus:]]", b"a"), (b"[[=a=]]", b"a"), (b"[[.-.]]", b"-"), (b"\\*", b"*"),
        (b"a\\", b"a"), (b"[a\\]]", b"]"), (b"open[x", b"open[x"), (b"*a*a*a*b", b"a" * 40),
        (b"??*?", b"abc"), (b"[z-a]", b"m"), (b"[\xff-\x80]", b"\x90"), (b"*[", b"x["),
    ]
    for i, (p, s) in enumerate(pairs):
        out("fnmatch", f"pair-{i:02}", p + b"\0" + s)


def main():
    if os.path.isdir(SEEDS):
        shutil.rmtree(SEEDS)
    with tempfile.TemporaryDirectory() as tmp:
        modfile_seeds(tmp)
        modload_seeds(tmp)
    modindex_seeds()
    modconf_seeds()
    sim_protocol_seeds()
    fnmatch_seeds()
    for target in sorted(os.listdir(SEEDS)):
        files = os.listdir(os.path.join(SEEDS, target))
        size = sum(os.path.getsize(os.path.join(SEEDS, target, f)) for f in files)
        print(f"{target}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
