//! Man pages and shell completions made from the clap definitions
//! (`rkmod __generate DIR`, `make man completions`), and the values the
//! completions ask for at run time (`rkmod __complete KIND …`).

pub mod complete;
pub mod generate;
