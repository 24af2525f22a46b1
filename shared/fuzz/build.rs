//! Embeds the sample events of `events/*/*.json` (the repository's test corpus) as
//! the seed records of the `mutated_record` target.

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let events = manifest.join("../../events");
    println!("cargo:rerun-if-changed={}", events.display());
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&events).expect("events/ exists") {
        let dir = dir.expect("dir entry").path();
        if !dir.is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", dir.display());
        for f in std::fs::read_dir(&dir).expect("read events subdir") {
            let f = f.expect("dir entry").path();
            if f.extension().is_some_and(|e| e == "json") {
                files.push(f.canonicalize().expect("canonical path"));
            }
        }
    }
    files.sort();
    let mut out = String::from("pub static SAMPLES: &[&str] = &[\n");
    for f in &files {
        writeln!(out, "    include_str!({:?}),", f.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("out dir")).join("samples.rs");
    std::fs::write(dest, out).expect("write samples.rs");
}
