//! What `rdepmod -n --json` prints per module (schema `rkmod/1`,
//! docs/json.md): the facts the `modules.*` files are made of, as records.

use serde::Serialize;

use crate::Resolved;

/// One module of the tree.
#[derive(Serialize, Debug)]
pub struct ModuleRecord {
    pub name: String,
    /// As modules.dep spells it (relative to the module directory when
    /// the file lies under it).
    pub path: String,
    /// Every module it needs, as modules.dep lists them.
    pub depends: Vec<String>,
    /// Only those whose symbols it uses itself.
    pub direct_depends: Vec<String>,
    pub aliases: Vec<String>,
    /// Exported symbols.
    pub symbols: Vec<String>,
    /// From the module's own `softdep` entries.
    pub softdep_pre: Vec<String>,
    pub softdep_post: Vec<String>,
    pub weakdeps: Vec<String>,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `pre: a b post: c` as kmod's softdep entries say it.
fn split_softdeps<'a>(entries: impl Iterator<Item = &'a [u8]>) -> (Vec<String>, Vec<String>) {
    let (mut pre, mut post) = (Vec::new(), Vec::new());
    for entry in entries {
        let mut into_post = None;
        for word in entry
            .split(|&b| b == b' ' || b == b'\t')
            .filter(|w| !w.is_empty())
        {
            match word {
                b"pre:" => into_post = Some(false),
                b"post:" => into_post = Some(true),
                w => match into_post {
                    Some(false) => pre.push(text(w)),
                    Some(true) => post.push(text(w)),
                    None => {}
                },
            }
        }
    }
    (pre, post)
}

impl Resolved {
    /// A record per module, in modules.dep order.
    pub fn records(&self) -> Vec<ModuleRecord> {
        let name = |i: u32| text(&self.modules[i as usize].name);
        self.modules
            .iter()
            .enumerate()
            .map(|(m, module)| {
                let info = &self.infos[m];
                let (softdep_pre, softdep_post) = split_softdeps(info.softdeps());
                ModuleRecord {
                    name: text(&module.name),
                    path: text(module.dep_path()),
                    depends: self.closures[m].iter().map(|&d| name(d)).collect(),
                    direct_depends: self
                        .graph
                        .dependencies(m as u32)
                        .into_iter()
                        .map(name)
                        .collect(),
                    aliases: info.aliases().map(text).collect(),
                    symbols: info.exports().map(|(s, _)| text(s)).collect(),
                    softdep_pre,
                    softdep_post,
                    weakdeps: info
                        .weakdeps()
                        .flat_map(|w| w.split(|&b| b == b' ').filter(|x| !x.is_empty()))
                        .map(text)
                        .collect(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn softdeps_split_into_pre_and_post() {
        let (pre, post) = super::split_softdeps(
            [b"pre: a b post: c".as_slice(), b"post: d pre: e".as_slice()].into_iter(),
        );
        assert_eq!(pre, ["a", "b", "e"]);
        assert_eq!(post, ["c", "d"]);
    }
}
