//! The reader alone, for instruction counts (`valgrind --tool=callgrind`):
//! every line of FILE through `LogFiles::read_line` (copied into a buffer)
//! or `LogFiles::next_line` (borrowed), without parsing.
//!
//! ```text
//! cargo build --release -p exim-log-benches --example read_lines
//! valgrind --tool=callgrind ./target/release/examples/read_lines read_line FILE
//! valgrind --tool=callgrind ./target/release/examples/read_lines next_line FILE
//! ```

use exim_log_benches::work::{reader_pass, reader_pass_copying};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(file)) = (args.first(), args.get(1)) else {
        eprintln!("usage: read_lines read_line|next_line FILE");
        std::process::exit(2);
    };
    let stats = match mode.as_str() {
        "read_line" => reader_pass_copying(&[file], false),
        "next_line" => reader_pass(&[file], false),
        _ => {
            eprintln!("usage: read_lines read_line|next_line FILE");
            std::process::exit(2);
        }
    };
    match stats {
        Ok(s) => eprintln!("{} lines", s.lines),
        Err(e) => {
            eprintln!("{file}: {e}");
            std::process::exit(1);
        }
    }
}
