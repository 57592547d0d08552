//! A reader on its own thread: decompressing a `.gz` log on one core while
//! another parses it, so that reading and parsing cost about what gunzip
//! alone costs.

use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

/// Size of one block handed from the reading thread to the reader.
const BLOCK: usize = 256 * 1024;
/// Blocks in flight between the threads: memory stays at most
/// `(DEPTH + 2) * BLOCK` bytes (1.5 MiB) whatever the input.
const DEPTH: usize = 4;

/// Reads `inner` on a thread of its own, one block ahead (at most a few
/// blocks: memory is bounded), and gives the bytes in order through
/// [`Read`]. Errors come in order too, after the bytes before them. Dropping
/// it stops the thread at its next block.
///
/// ```
/// use std::io::Read;
/// use exim_log::reader::Pipelined;
///
/// let mut text = String::new();
/// Pipelined::new(&b"2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed\n"[..])
///     .read_to_string(&mut text)?;
/// assert!(text.ends_with("Completed\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Pipelined {
    /// `Mutex`: a receiver is `Send` but not `Sync`, and readers of a
    /// [`super::LogFiles`] must be both (the lock is taken once per block).
    rx: Mutex<Receiver<io::Result<Vec<u8>>>>,
    block: Vec<u8>,
    at: usize,
    done: bool,
}

impl Pipelined {
    /// Starts the reading thread.
    pub fn new<R: Read + Send + 'static>(inner: R) -> Self {
        let (tx, rx) = sync_channel(DEPTH);
        thread::spawn(move || pump(inner, &tx));
        Pipelined {
            rx: Mutex::new(rx),
            block: Vec::new(),
            at: 0,
            done: false,
        }
    }
}

/// The reading thread: blocks until the input ends, fails, or the reader
/// is gone.
fn pump<R: Read>(mut inner: R, tx: &SyncSender<io::Result<Vec<u8>>>) {
    loop {
        let mut block = vec![0u8; BLOCK];
        let mut got = 0;
        // Fill the block (a decoder gives small pieces), so each hand-over
        // moves a good amount.
        let outcome = loop {
            let Some(rest) = block.get_mut(got..).filter(|r| !r.is_empty()) else {
                break Ok(());
            };
            match inner.read(rest) {
                Ok(0) => break Ok(()),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        block.truncate(got);
        let end = got == 0 || outcome.is_err();
        if got > 0 && tx.send(Ok(block)).is_err() {
            return;
        }
        match outcome {
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
            Ok(()) if end => return,
            Ok(()) => {}
        }
    }
}

impl Read for Pipelined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.block.len() {
            if self.done {
                return Ok(0);
            }
            let next = match self.rx.lock() {
                Ok(rx) => rx.recv(),
                Err(poisoned) => poisoned.into_inner().recv(),
            };
            match next {
                Ok(Ok(block)) => {
                    self.block = block;
                    self.at = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                // The thread ended after the last block.
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let rest = self.block.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(rest.get(..n).unwrap_or_default());
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives `good` bytes in small pieces, then fails.
    struct Failing {
        good: Vec<u8>,
        at: usize,
    }

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.at >= self.good.len() {
                return Err(io::Error::other("broken"));
            }
            let n = buf.len().min(7).min(self.good.len() - self.at);
            buf[..n].copy_from_slice(&self.good[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn bytes_in_order_then_the_error() {
        let good: Vec<u8> = (0..BLOCK * 3 + 11).map(|i| (i % 251) as u8).collect();
        let mut p = Pipelined::new(Failing {
            good: good.clone(),
            at: 0,
        });
        let mut out = Vec::new();
        let mut buf = [0u8; 1000];
        let err = loop {
            match p.read(&mut buf) {
                Ok(0) => panic!("ended without the error"),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(out, good);
        assert_eq!(err.to_string(), "broken");
        assert_eq!(p.read(&mut buf).unwrap(), 0);
    }

    /// Gives its bytes 100 at a time, with an interrupted read before each
    /// piece (a signal arriving while a decoder reads).
    struct Interrupted {
        data: Vec<u8>,
        at: usize,
        interrupt: bool,
    }

    impl Read for Interrupted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(100).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn an_interrupted_read_is_tried_again() {
        let data: Vec<u8> = (0..1234).map(|i| (i % 7) as u8).collect();
        let mut out = Vec::new();
        Pipelined::new(Interrupted {
            data: data.clone(),
            at: 0,
            interrupt: false,
        })
        .read_to_end(&mut out)
        .unwrap();
        assert_eq!(out, data);
    }

    /// The reading thread hands over whole blocks of 256 KiB (filled from
    /// small reads), so one read of a large buffer gives one block, and
    /// the input's end comes as a short last block.
    #[test]
    fn blocks_of_256_kib() {
        let len = 600 * 1024;
        let mut p = Pipelined::new(Failing {
            good: vec![b'x'; len],
            at: 0,
        });
        let mut buf = vec![0u8; 1 << 20];
        assert_eq!(p.read(&mut buf).unwrap(), 256 * 1024);
        assert_eq!(p.read(&mut buf).unwrap(), 256 * 1024);
        assert_eq!(p.read(&mut buf).unwrap(), 88 * 1024);
        assert!(p.read(&mut buf).is_err());
    }

    #[test]
    fn whole_input_and_early_drop() {
        let data: Vec<u8> = (0..BLOCK * 2 + 5).map(|i| (i % 13) as u8).collect();
        let mut out = Vec::new();
        Pipelined::new(io::Cursor::new(data.clone()))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
        // Dropped after one read: the thread must not block forever (the test
        // would hang at exit otherwise... threads are detached, so check that
        // a second pipeline still works).
        let mut p = Pipelined::new(io::Cursor::new(vec![1u8; BLOCK * 20]));
        let mut one = [0u8; 1];
        p.read_exact(&mut one).unwrap();
        drop(p);
        let mut empty = Vec::new();
        Pipelined::new(io::empty()).read_to_end(&mut empty).unwrap();
        assert!(empty.is_empty());
    }
}
