//! The source scan behind the key tests (test-only): the string literals in the non-test code
//! of every Rust file under `src/`, read as the compiler reads them, so a key used anywhere —
//! not only in the bot's folders — is checked against the locales.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/` that is not a test module, as (path relative to the crate, its
/// non-test code). Tests use made-up keys.
pub fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    let texts: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|f| (std::fs::read_to_string(&f).unwrap(), f))
        .map(|(s, f)| (f, s))
        .collect();
    let test_files: Vec<PathBuf> =
        texts.iter().flat_map(|(f, src)| test_module_files(f, src)).collect();
    texts
        .iter()
        .filter(|(f, _)| !test_files.contains(f))
        .map(|(f, src)| {
            let rel = f.strip_prefix(root).unwrap_or(f).display().to_string();
            (rel, non_test_code(src).to_owned())
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Each `#[cfg(test)]` that introduces a module: where it starts, the module's name, its
/// `#[path]` if any, and whether it is declared out of line (`mod name;`).
fn test_modules(src: &str) -> Vec<(usize, &str, Option<&str>, bool)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = src[from..].find("#[cfg(test)]").map(|i| from + i) {
        from = at + 1;
        let mut rest = src[at + "#[cfg(test)]".len()..].trim_start();
        let mut path = None;
        while rest.starts_with("#[") {
            let (attr, after) = rest.split_once(']').unwrap_or((rest, ""));
            path = path.or(attr.strip_prefix("#[path = \"").and_then(|p| p.strip_suffix('"')));
            rest = after.trim_start();
        }
        for vis in ["pub(crate) ", "pub(super) ", "pub "] {
            rest = rest.strip_prefix(vis).unwrap_or(rest);
        }
        if let Some(decl) = rest.strip_prefix("mod ") {
            let name =
                decl.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("");
            let outline = decl[name.len()..].trim_start().starts_with(';');
            out.push((at, name, path, outline));
        }
    }
    out
}

/// The files of the test modules `file` declares out of line (`#[cfg(test)] mod tests;`).
fn test_module_files(file: &Path, src: &str) -> Vec<PathBuf> {
    let dir = file.parent().unwrap();
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let own = if ["mod", "lib", "main"].contains(&stem) { dir.to_owned() } else { dir.join(stem) };
    test_modules(src)
        .into_iter()
        .filter(|m| m.3)
        .flat_map(|(_, name, path, _)| match path {
            Some(p) => vec![dir.join(p)],
            None => vec![own.join(format!("{name}.rs")), own.join(name).join("mod.rs")],
        })
        .collect()
}

/// `src` up to its first test module. A `#[cfg(test)]` on a single helper does not end the scan.
pub fn non_test_code(src: &str) -> &str {
    test_modules(src).first().map_or(src, |m| &src[..m.0])
}

/// The string literals of `code` (plain, raw and byte strings), skipping comments and character
/// literals. Escapes are kept as written: keys have none.
pub fn string_literals(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let prev = if i == 0 { ' ' } else { chars[i - 1] };
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && !ident(prev) && matches!(next, Some('"' | '#')) {
            // r"…" or r#"…"#: no escapes, ends at a quote followed by as many hashes.
            let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
            let start = i + 1 + hashes;
            if chars.get(start) != Some(&'"') {
                i += 1;
                continue;
            }
            let mut j = start + 1;
            while j < chars.len()
                && !(chars[j] == '"' && chars[j + 1..].iter().take(hashes).all(|&c| c == '#'))
            {
                j += 1;
            }
            out.push(chars[start + 1..j.min(chars.len())].iter().collect());
            i = j + 1 + hashes;
        } else if c == '"' {
            let mut lit = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    lit.push('\\');
                    i += 1;
                }
                lit.extend(chars.get(i));
                i += 1;
            }
            out.push(lit);
            i += 1;
        } else if c == '\'' {
            // A character literal ('"', '\'', '\u{…}'), or else a lifetime.
            match (next, chars.get(i + 2)) {
                (Some('\\'), _) => {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                }
                (Some(_), Some('\'')) => i += 3,
                _ => i += 1,
            }
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn literals_are_read_as_the_compiler_does() {
    let src = r##"tr(l, "a-key", &[]); let q = '"'; let e = '\''; f("with \" quote", "b-key");
        // a comment with "not-a-key" and an odd " quote
        /* a block "comment-key" */ fn g<'a>(x: &'a str) {} let r = r#"raw "inner" text"#;
        let b = b"bytes-key"; let u = r"raw-key";"##;
    assert_eq!(
        string_literals(src),
        ["a-key", "with \\\" quote", "b-key", "raw \"inner\" text", "bytes-key", "raw-key"]
    );
}

#[test]
fn the_scan_stops_at_the_test_module_only_and_skips_test_module_files() {
    let inline = r#"tr(l, "a-key", &[]); let q = '"'; f("with \" quote", "b-key");
            #[cfg(test)] mod tests { "test-only-key" }"#;
    assert_eq!(string_literals(non_test_code(inline)), ["a-key", "with \\\" quote", "b-key"]);
    let src = "a\n#[cfg(test)]\nfn helper() {}\nb\n#[cfg(test)]\n#[path = \"x_tests.rs\"]\nmod tests;\n\
               #[cfg(test)]\npub(crate) mod check {}\n#[cfg(test)]\nmod scan;";
    assert_eq!(non_test_code(src), "a\n#[cfg(test)]\nfn helper() {}\nb\n");
    assert_eq!(non_test_code("x"), "x");
    let files = |f: &str| test_module_files(Path::new(f), src);
    assert_eq!(
        files("/s/a/x.rs"),
        [PathBuf::from("/s/a/x_tests.rs"), "/s/a/x/scan.rs".into(), "/s/a/x/scan/mod.rs".into()]
    );
    assert_eq!(files("/s/a/mod.rs")[1], PathBuf::from("/s/a/scan.rs"));
}
