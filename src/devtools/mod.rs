//! Development tools that ship with the repository (not used by the shop itself).

pub mod stripe_local;
