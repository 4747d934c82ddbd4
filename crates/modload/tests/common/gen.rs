//! Generated C modules for the cross-architecture tests: calls (direct,
//! through tables of function pointers, tail calls, a cold path in another
//! section), dense switches (jump tables), global and static data with
//! pointers in initialisers, string tables, and large and small offsets
//! (a bss array of up to tens of MiB, read and written near both ends).
//! Deterministic for a seed; no undefined behaviour (unsigned arithmetic),
//! so the module and the same source built as a program print the same.

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The shape of one generated module.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub seed: u64,
    /// Functions in the call graph.
    pub funcs: usize,
    /// Size of the bss array (large offsets when MiBs).
    pub pad: u64,
}

/// The shapes the tests use: small and large offsets, few and many
/// functions.
pub const SHAPES: [Shape; 4] = [
    Shape {
        seed: 1,
        funcs: 6,
        pad: 64,
    },
    Shape {
        seed: 2,
        funcs: 14,
        pad: 3 << 20,
    },
    Shape {
        seed: 3,
        funcs: 24,
        pad: 40 << 20,
    },
    Shape {
        seed: 4,
        funcs: 9,
        pad: 1 << 16,
    },
];

/// The module's name for a shape.
pub fn name(shape: &Shape) -> String {
    format!("gen{}", shape.seed)
}

/// The C source of a generated module.
pub fn source(shape: &Shape) -> String {
    let mut rng = Rng(shape.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let n = shape.funcs.max(2);
    let name = name(shape);
    let mut c = String::new();
    c.push_str("#include <linux/init.h>\n#include <linux/kernel.h>\n#include <linux/module.h>\n\n");
    c.push_str(&format!(
        "/* generated: seed {}, {} functions, {}-byte pad */\n",
        shape.seed, n, shape.pad
    ));
    c.push_str(&format!("static unsigned char pad[{}];\n", shape.pad));
    c.push_str("static unsigned int counters[8];\n");
    c.push_str(&format!(
        "unsigned int {name}_shared = {};\n",
        rng.below(1000)
    ));
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
    ];
    c.push_str("static const char *const words[] = {");
    for w in &words {
        c.push_str(&format!(" \"{w}\","));
    }
    c.push_str(" };\nstatic const unsigned short weights[] = {");
    for _ in 0..16 {
        c.push_str(&format!(" {},", rng.below(60000)));
    }
    c.push_str(" };\n\n");
    for i in 0..n {
        c.push_str(&format!("static unsigned int f{i}(unsigned int x);\n"));
    }
    c.push_str("\nstatic unsigned int __attribute__((cold, noinline)) rare(unsigned int x)\n{\n");
    c.push_str("\t_printk(\"rare path %u\\n\", x);\n\treturn x ^ 0x5a5a;\n}\n\n");
    for i in 0..n {
        c.push_str(&format!(
            "static unsigned int __attribute__((noinline)) f{i}(unsigned int x)\n{{\n"
        ));
        match rng.below(4) {
            0 => {
                // A dense switch: a jump table.
                let cases = 5 + rng.below(6);
                c.push_str(&format!("\tswitch (x % {}u) {{\n", cases + 1));
                for k in 0..cases {
                    let m = 1 + rng.below(9);
                    let a = rng.below(100);
                    c.push_str(&format!("\tcase {k}: x = x * {m}u + {a}u; break;\n"));
                }
                c.push_str("\tdefault: x = rare(x); break;\n\t}\n");
            }
            1 => {
                c.push_str(&format!(
                    "\tx += weights[x % 16u] + (unsigned char)words[x % {}u][1];\n",
                    words.len()
                ));
            }
            2 => {
                c.push_str("\tcounters[x % 8u] += x;\n\tx += counters[(x + 3u) % 8u];\n");
            }
            _ => {
                // Large offsets: both ends of the pad.
                c.push_str(&format!(
                    "\tpad[{}u - 1u - x % 8u] += (unsigned char)x;\n\tpad[x % 8u] ^= (unsigned char)(x >> 3);\n\
                     \tx += pad[{}u - 1u - (x + 1u) % 8u] + pad[(x + 5u) % 8u];\n",
                    shape.pad, shape.pad
                ));
            }
        }
        if i + 1 < n {
            // Calls down the chain; every third one a tail call.
            let callee = i + 1 + rng.below((n - i - 1) as u64) as usize;
            if rng.below(3) == 0 {
                c.push_str(&format!("\treturn f{callee}(x + {i}u);\n}}\n\n"));
            } else {
                c.push_str(&format!("\treturn f{callee}(x) + {i}u;\n}}\n\n"));
            }
        } else {
            c.push_str("\treturn x;\n}\n\n");
        }
    }
    c.push_str("struct rec {\n\tconst char *name;\n\tunsigned int (*fn)(unsigned int);\n\tunsigned int *slot;\n};\n");
    c.push_str("static const struct rec table[] = {\n");
    for i in 0..n.min(8) {
        c.push_str(&format!("\t{{ \"f{i}\", f{i}, &counters[{}] }},\n", i % 8));
    }
    c.push_str("};\n\n");
    c.push_str(&format!(
        "static int __init {name}_init(void)\n{{\n\tunsigned int acc = {name}_shared, i;\n\n\
         \tfor (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {{\n\
         \t\tunsigned int v = table[i].fn(i * 7u + acc % 13u);\n\
         \t\t*table[i].slot += v;\n\t\tacc = acc * 31u + v;\n\
         \t\t_printk(\"{name}: %s -> %u\\n\", table[i].name, v);\n\t}}\n\
         \t{name}_shared = acc;\n\
         \t_printk(\"{name}: acc=%u pad=%u,%u word=%s\\n\", acc, pad[0] + pad[1], pad[sizeof(pad) - 1], words[acc % 7u]);\n\
         \treturn (int)(acc % 7u);\n}}\n\n"
    ));
    c.push_str(&format!(
        "static void __exit {name}_exit(void)\n{{\n\tunsigned int s = 0, i;\n\n\
         \tfor (i = 0; i < 8; i++)\n\t\ts += counters[i];\n\
         \t_printk(\"{name}: exit counters=%u shared=%u\\n\", s, {name}_shared);\n}}\n\n"
    ));
    c.push_str(&format!(
        "module_init({name}_init);\nmodule_exit({name}_exit);\nMODULE_LICENSE(\"GPL\");\n"
    ));
    c
}
