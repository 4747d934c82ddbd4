//! The kernel's taint notices: each kind is printed once per boot (here:
//! per sim kernel), and the first taint that makes lock debugging
//! unreliable (a forced load, a proprietary license) adds "Disabling lock
//! debugging due to kernel taint".

/// What the sim kernel has already been tainted with.
#[derive(Debug, Default)]
pub(crate) struct Taints {
    unsigned: bool,
    out_of_tree: bool,
    forced: bool,
    proprietary: bool,
    /// Newer kernels' second proprietary line.
    proprietary_module: bool,
    lockdep_off: bool,
}

type Log<'a> = &'a mut dyn FnMut(i32, String);

impl Taints {
    fn lockdep(&mut self, log: Log<'_>) {
        if !self.lockdep_off {
            self.lockdep_off = true;
            log(4, "Disabling lock debugging due to kernel taint".into());
        }
    }

    /// A forced load (try_to_force_load): `reason` is what was forced
    /// past (`bad vermagic`, `module_layout`).
    pub fn forced(&mut self, name: &str, reason: &str, log: Log<'_>) {
        if !self.forced {
            self.forced = true;
            log(4, format!("{name}: {reason}: kernel tainted."));
        }
        self.lockdep(log);
    }

    /// A license that is not GPL-compatible (set_license).
    pub fn proprietary(&mut self, name: &str, license: &str, log: Log<'_>) {
        if !self.proprietary {
            self.proprietary = true;
            log(
                4,
                format!("{name}: module license '{license}' taints kernel."),
            );
        }
        self.lockdep(log);
    }

    /// The line newer kernels (6.12; not 6.1) add once after set_license's.
    pub fn proprietary_module(&mut self, name: &str, log: Log<'_>) {
        if !self.proprietary_module {
            self.proprietary_module = true;
            log(4, format!("{name}: module license taints kernel."));
        }
    }

    /// A module without the `intree` mark.
    pub fn out_of_tree(&mut self, name: &str, log: Log<'_>) {
        if !self.out_of_tree {
            self.out_of_tree = true;
            log(
                4,
                format!("{name}: loading out-of-tree module taints kernel."),
            );
        }
    }

    /// A module without a valid signature (not enforced).
    pub fn unsigned(&mut self, name: &str, log: Log<'_>) {
        if !self.unsigned {
            self.unsigned = true;
            log(
                5,
                format!(
                    "{name}: module verification failed: signature and/or required key missing - tainting kernel"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_notice_once_and_lockdep_with_the_first_unreliable_taint() {
        let mut t = Taints::default();
        let mut lines = Vec::new();
        let mut log = |_: i32, s: String| lines.push(s);
        t.out_of_tree("a", &mut log);
        t.unsigned("a", &mut log);
        t.out_of_tree("b", &mut log);
        t.forced("b", "module_layout", &mut log);
        t.forced("b", "bad vermagic", &mut log);
        t.proprietary("c", "Proprietary", &mut log);
        t.proprietary("d", "Proprietary", &mut log);
        assert_eq!(
            lines,
            [
                "a: loading out-of-tree module taints kernel.",
                "a: module verification failed: signature and/or required key missing - tainting kernel",
                "b: module_layout: kernel tainted.",
                "Disabling lock debugging due to kernel taint",
                "c: module license 'Proprietary' taints kernel.",
            ]
        );
    }
}
