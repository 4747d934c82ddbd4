//! The sim kernel's module host process. Started by the sim daemon only;
//! see `sim::host`.

fn main() {
    std::process::exit(sim::host::main());
}
