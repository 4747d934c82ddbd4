//! The C header mirrors the Rust ABI: same release, interface version,
//! type codes, struct sizes and field offsets (compiled with the system C
//! compiler; skipped when there is none).

use std::mem::{offset_of, size_of};
use std::path::Path;
use std::process::Command;

use sim_module::abi::{InitArgs, ParamDesc, ParamType, INTERFACE_VERSION};

const PROBE: &str = r#"
#include <stdio.h>
#include "sim_module.h"
/* What SIM_MODULE_INIT would define in a module. */
const struct sim_init_args *__sim_args;
#define OFF(t, f) printf(#t "." #f "=%zu\n", offsetof(struct t, f))
int main(void)
{
	printf("release=%s\n", SIM_RELEASE);
	printf("vermagic=%s\n", SIM_VERMAGIC);
	printf("interface=%u\n", SIM_INTERFACE_VERSION);
	printf("sizeof.sim_init_args=%zu\n", sizeof(struct sim_init_args));
	printf("sizeof.sim_param=%zu\n", sizeof(struct sim_param));
	OFF(sim_init_args, interface_version); OFF(sim_init_args, size);
	OFF(sim_init_args, user_data); OFF(sim_init_args, log);
	OFF(sim_init_args, clock_ns); OFF(sim_init_args, thread_run);
	OFF(sim_init_args, thread_should_stop); OFF(sim_init_args, msleep);
	OFF(sim_param, name); OFF(sim_param, type); OFF(sim_param, perm);
	OFF(sim_param, arg); OFF(sim_param, maxlen); OFF(sim_param, check);
	printf("types=%d,%d,%d,%d,%d,%d,%d,%d,%d\n", SIM_PARAM_int, SIM_PARAM_uint,
	       SIM_PARAM_long, SIM_PARAM_ulong, SIM_PARAM_short, SIM_PARAM_ushort,
	       SIM_PARAM_bool, SIM_PARAM_charp, SIM_PARAM_string);
	return 0;
}
"#;

#[test]
fn c_header_matches_the_rust_abi() {
    let cc = std::env::var("CC").unwrap_or_else(|_| "gcc".into());
    if Command::new(&cc).arg("--version").output().is_err() {
        eprintln!("skipped: no C compiler ({cc})");
        return;
    }
    let dir = std::env::temp_dir().join(format!("sim-module-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("probe.c");
    let exe = dir.join("probe");
    std::fs::write(&src, PROBE).unwrap();
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let st = Command::new(&cc)
        .args(["-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(&src)
        .arg("-I")
        .arg(&include)
        .status()
        .unwrap();
    assert!(st.success(), "the header does not compile");
    let out = String::from_utf8(Command::new(&exe).output().unwrap().stdout).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let get = |k: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('=')))
            .unwrap_or_else(|| panic!("{k} missing in {out}"))
            .to_string()
    };
    let num = |k: &str| -> usize { get(k).parse().unwrap() };
    assert_eq!(get("release"), sim_module::SIM_RELEASE);
    assert_eq!(get("vermagic"), sim_module::VERMAGIC);
    assert_eq!(num("interface"), INTERFACE_VERSION as usize);
    assert_eq!(num("sizeof.sim_init_args"), size_of::<InitArgs>());
    assert_eq!(num("sizeof.sim_param"), size_of::<ParamDesc>());
    for (c, r) in [
        ("interface_version", offset_of!(InitArgs, interface_version)),
        ("size", offset_of!(InitArgs, size)),
        ("user_data", offset_of!(InitArgs, user_data)),
        ("log", offset_of!(InitArgs, log)),
        ("clock_ns", offset_of!(InitArgs, clock_ns)),
        ("thread_run", offset_of!(InitArgs, thread_run)),
        (
            "thread_should_stop",
            offset_of!(InitArgs, thread_should_stop),
        ),
        ("msleep", offset_of!(InitArgs, msleep)),
    ] {
        assert_eq!(num(&format!("sim_init_args.{c}")), r, "sim_init_args.{c}");
    }
    for (c, r) in [
        ("name", offset_of!(ParamDesc, name)),
        ("type", offset_of!(ParamDesc, ty)),
        ("perm", offset_of!(ParamDesc, perm)),
        ("arg", offset_of!(ParamDesc, arg)),
        ("maxlen", offset_of!(ParamDesc, maxlen)),
        ("check", offset_of!(ParamDesc, check)),
    ] {
        assert_eq!(num(&format!("sim_param.{c}")), r, "sim_param.{c}");
    }
    let types: Vec<u32> = get("types")
        .split(',')
        .map(|t| t.parse().unwrap())
        .collect();
    let rust: Vec<u32> = (1..=9)
        .map(|raw| ParamType::from_raw(raw).unwrap() as u32)
        .collect();
    assert_eq!(types, rust);
    for (raw, name) in [(1, "int"), (7, "bool"), (8, "charp"), (9, "string")] {
        assert_eq!(ParamType::from_raw(raw).unwrap().name(), name);
    }
}
