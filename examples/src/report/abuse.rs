//! `abuse-report` (placeholder, filled below).
