//! `rkmod`: the multicall binary. It dispatches on the name it was invoked
//! by (`rmodinfo`, `modinfo`, …) or on its first argument (`rkmod modinfo …`).

fn main() {
    std::process::exit(rkmod_cli::multicall(std::env::args_os().collect()));
}
