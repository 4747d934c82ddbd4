//! Try modules in the sim kernel's runtime without a daemon:
//! `cargo run -p kapi --example kornel -- RELEASE MODULE.ko[=ARGS]... [--read PATH]...`
use std::path::Path;

fn log(level: i32, text: &str, _ns: u64) {
    println!("<{level}> {text}");
}
fn node(add: bool, path: &str) {
    println!("[{} {path}]", if add { "+" } else { "-" });
}
fn tag() -> u32 {
    0
}
fn set_tag(_: u32) {}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let release = &args[0];
    let headers = kapi::kbuild::default_headers(release);
    let cache = Path::new("/tmp/kapi-cache");
    let ko = kapi::kbuild::ensure_kapi(&headers, release, cache).unwrap_or_else(|e| panic!("{e}"));
    let symvers = kapi::Symvers::read(&headers).unwrap();
    let hooks = kapi::Hooks {
        log,
        node,
        thread_tag: tag,
        set_thread_tag: set_tag,
    };
    let mut rt = kapi::Runtime::start(&ko, &symvers, hooks).unwrap_or_else(|e| panic!("{e}"));
    println!("kapi serves {} kernel exports", rt.kernel_exports());
    let mut id = 1;
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        if a == "--read" {
            let p = it.next().unwrap();
            match rt.read(p) {
                Ok(b) => print!("{}", String::from_utf8_lossy(&b)),
                Err(e) => println!("read {p}: {e}"),
            }
            continue;
        }
        if a == "--write" {
            let p = it.next().unwrap();
            let v = it.next().unwrap();
            println!(
                "write {p}: {:?}",
                rt.write(p, v.as_bytes()).map_err(|e| e.to_string())
            );
            continue;
        }
        if let Some(name) = a.strip_prefix("--rm=") {
            let _ = name;
            id -= 1;
            println!(
                "unload: {:?}",
                rt.unload(id, true).map_err(|e| e.to_string())
            );
            continue;
        }
        let (path, params) = a.split_once('=').map_or((a.as_str(), ""), |(p, v)| (p, v));
        let bytes = std::fs::read(path).unwrap();
        let name = Path::new(path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        match rt.load(id, &name, &bytes, &params.replace(',', " ")) {
            Ok(r) => println!("{name}: init returned {r}"),
            Err(e) => println!("{name}: {e}"),
        }
        for p in rt.params(id).unwrap_or_default() {
            println!(
                "  param {} {:o} {:?}",
                p.name,
                p.perm,
                p.value.map(|v| String::from_utf8_lossy(&v).to_string())
            );
        }
        id += 1;
    }
    rt.flush_log();
    std::thread::sleep(std::time::Duration::from_millis(200));
    // kernel threads still run kapi's code: leave without unmapping it
    std::process::exit(0);
}
