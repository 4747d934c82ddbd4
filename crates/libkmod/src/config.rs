//! `kmod_config_*`: iterators over the configuration a context read.
