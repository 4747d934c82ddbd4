//! `rlsmod`: rkmod's lsmod.

#![cfg_attr(not(test), no_main)]

rkmod_cli::tool_main!(rkmod_cli::single(rkmod_cli::Tool::Lsmod));
