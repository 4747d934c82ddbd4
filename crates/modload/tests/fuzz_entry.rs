//! `fuzz_load`, the fuzz target's entry, on the committed seeds of
//! fuzz/seeds/modload: the aarch64 and riscv64 objects among them go
//! through their engines (veneers or PLT for the far names), and a few
//! thousand deterministic mutations of them run here under debug
//! assertions and overflow checks (a panic fails the test), a small
//! stand-in for `make fuzz-smoke` that needs no fuzzing toolchain.

use std::path::Path;

use modload::{fuzz_load, Error};

fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/modload");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn seeds_of_every_engine_load() {
    let mut cross = 0;
    for (name, bytes) in seeds() {
        let res = fuzz_load(&bytes);
        if name.starts_with("aarch64-") || name.starts_with("riscv64-") {
            cross += 1;
            match res {
                Ok(image) => {
                    // The far names (odd length, 0x7f00...) need veneers/PLT
                    // from any object that calls one.
                    println!(
                        "{name}: {} bytes, {:?}",
                        image.size(),
                        image.section(".modload.plt").map(|s| s.size)
                    );
                }
                Err(e @ Error::NeedsRelaxation { .. }) => {
                    assert!(name.contains("align"), "{name}: {e}");
                }
                // A PC-relative data reference to a far name cannot link.
                Err(e @ Error::RelocationOverflow { .. }) => println!("{name}: {e}"),
                Err(e) => panic!("{name}: {e}"),
            }
        }
    }
    assert!(cross >= 8, "cross seeds missing");
}

#[test]
fn mutated_seeds_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut runs = 0;
    for (name, bytes) in seeds() {
        if !(name.starts_with("aarch64-") || name.starts_with("riscv64-")) {
            continue;
        }
        for _ in 0..2000 {
            let mut m = bytes.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() % m.len() as u64) as usize;
                m[at] = match next() % 4 {
                    0 => 0,
                    1 => 0xff,
                    2 => m[at] ^ (1 << (next() % 8)),
                    _ => next() as u8,
                };
            }
            let _ = fuzz_load(&m);
            runs += 1;
        }
    }
    assert!(runs > 15_000);
}
