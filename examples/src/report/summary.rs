//! `summary` (placeholder, filled below).
