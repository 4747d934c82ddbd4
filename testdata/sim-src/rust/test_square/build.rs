// `square` comes from another module at load time: leave it undefined in
// the shared object instead of failing the link.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,--unresolved-symbols=ignore-all");
}
