//! `rrmmod`: rkmod's rmmod.

fn main() {
    std::process::exit(rkmod_cli::single(rkmod_cli::Tool::Rmmod));
}
