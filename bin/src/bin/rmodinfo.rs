//! `rmodinfo`: rkmod's modinfo.

fn main() {
    std::process::exit(rkmod_cli::single(rkmod_cli::Tool::Modinfo));
}
