//! `rlsmod`: rkmod's lsmod.

fn main() {
    std::process::exit(rkmod_cli::single(rkmod_cli::Tool::Lsmod));
}
