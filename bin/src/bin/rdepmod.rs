//! `rdepmod`: rkmod's depmod.

fn main() {
    std::process::exit(rkmod_cli::single(rkmod_cli::Tool::Depmod));
}
