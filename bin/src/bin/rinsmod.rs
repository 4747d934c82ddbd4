//! `rinsmod`: rkmod's insmod.

fn main() {
    std::process::exit(rkmod_cli::single(rkmod_cli::Tool::Insmod));
}
