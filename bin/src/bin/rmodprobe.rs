//! `rmodprobe`: rkmod's modprobe.

fn main() {
    std::process::exit(rkmod_cli::single(rkmod_cli::Tool::Modprobe));
}
