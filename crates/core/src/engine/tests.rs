//! Unit tests of the engine: two or three engines wired by hand.
