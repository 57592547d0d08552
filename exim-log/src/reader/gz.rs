//! Gzip detected from the content: rotated logs are usually `.gz`, but stdin
//! and renamed files have no useful name.

use std::fs::File;
use std::io::{self, Chain, Cursor, Read};
use std::path::Path;

#[cfg(feature = "gzip")]
use flate2::read::MultiGzDecoder;

use crate::syslog::Framing;

/// The two magic bytes of a gzip member (RFC 1952 §2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Bytes asked for by the first read of [`Input::detect`].
const HEAD: usize = 8 * 1024;

type Head<R> = Chain<Cursor<Vec<u8>>, R>;

/// A byte stream that is either plain text or gzip, decided by its first two
/// bytes. Gzip input may hold several members (`cat a.gz b.gz`, or logrotate's
/// `delaycompress` + append); all are read (`flate2`'s `MultiGzDecoder`).
///
/// Without the `gzip` feature (on by default), gzip input is detected all the
/// same, and reading it fails with an error that says the feature is off.
///
/// A truncated or corrupt gzip stream makes [`Read::read`] fail after the
/// decompressed bytes before the fault were returned. Gzip checks its CRC only
/// at the end of each member, so bytes corrupted inside a member may first come
/// out as garbled text that still decompresses; the error follows at the
/// member's end at the latest.
///
/// ```
/// # #[cfg(feature = "gzip")] {
/// use std::io::{Read, Write};
/// use exim_log::reader::Input;
///
/// let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
/// gz.write_all(b"2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed\n")?;
/// let bytes = gz.finish()?;
///
/// let mut input = Input::detect(&bytes[..])?;
/// assert!(input.is_gzip());
/// let mut text = String::new();
/// input.read_to_string(&mut text)?;
/// assert!(text.ends_with("Completed\n"));
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Input<R: Read> {
    inner: Inner<R>,
}

#[derive(Debug)]
enum Inner<R: Read> {
    Plain(Head<R>),
    #[cfg(feature = "gzip")]
    Gzip(Box<MultiGzDecoder<Head<R>>>),
    /// Gzip input in a build without the `gzip` feature.
    #[cfg(not(feature = "gzip"))]
    Gzip(Head<R>),
}

/// The first bytes of a stream as [`Input::detect`] reads them: one read of
/// [`HEAD`] bytes (more reads only until two bytes came). For plain text
/// they are the first buffer a [`super::LogReader`] gets, whose framing it
/// tells ([`crate::syslog::Framing::detect`]).
fn read_head(rdr: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; HEAD];
    let mut got = 0;
    while got < GZIP_MAGIC.len() {
        let Some(rest) = head.get_mut(got..) else {
            break;
        };
        match rdr.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    Ok(head)
}

/// Whether `rdr` starts with the gzip magic: reads at most its two bytes
/// (more reads only until two came), for a caller that then seeks or
/// refuses instead of reading the stream ([`Input::detect`] keeps what it
/// read).
pub(crate) fn starts_with_gzip(rdr: &mut impl Read) -> io::Result<bool> {
    let mut magic = [0u8; GZIP_MAGIC.len()];
    let got = super::range::read_up_to(rdr, &mut magic)?;
    Ok(got == magic.len() && magic == GZIP_MAGIC)
}

/// The framing a reader of the file `path` tells from its first buffer
/// (the same bytes, read the same way), `None` for an empty or gzip file:
/// what a [`crate::parallel::Plan`] gives the byte ranges it cuts a file
/// into, so that each is read as the whole file is, and not told again
/// from its own first lines.
pub(crate) fn file_framing(path: &Path) -> io::Result<Option<Framing>> {
    let head = read_head(&mut File::open(path)?)?;
    Ok((!head.is_empty() && !head.starts_with(&GZIP_MAGIC)).then(|| Framing::detect(&head)))
}

impl<R: Read> Input<R> {
    /// Reads the first bytes (at least two, unless the input is shorter) to
    /// decide whether `rdr` is gzip. The bytes read are not lost: they are
    /// chained in front of the rest.
    ///
    /// The first read asks for `HEAD` bytes, not two: what it gets is what a
    /// reader's first buffer holds, so the framing of the text
    /// ([`crate::syslog::Framing::detect`]) is told from whole lines. It never
    /// waits for more than two bytes (a pipe gives what it has).
    pub fn detect(mut rdr: R) -> io::Result<Self> {
        let head = read_head(&mut rdr)?;
        let is_gzip = head.starts_with(&GZIP_MAGIC);
        let prefix = head;
        let chained = Cursor::new(prefix).chain(rdr);
        let inner = if is_gzip {
            #[cfg(feature = "gzip")]
            let inner = Inner::Gzip(Box::new(MultiGzDecoder::new(chained)));
            #[cfg(not(feature = "gzip"))]
            let inner = Inner::Gzip(chained);
            inner
        } else {
            Inner::Plain(chained)
        };
        Ok(Input { inner })
    }

    /// True when the stream is gzip (decompressed as it is read; an error
    /// without the `gzip` feature).
    pub fn is_gzip(&self) -> bool {
        matches!(self.inner, Inner::Gzip(_))
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Plain(r) => r.read(buf),
            #[cfg(feature = "gzip")]
            Inner::Gzip(r) => r.read(buf),
            #[cfg(not(feature = "gzip"))]
            Inner::Gzip(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "gzip input, but exim-log was built without its `gzip` feature",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Gives its bytes one read at a time, one byte each, after an
    /// interrupted read: the short reads a pipe or a slow disk gives.
    struct Trickle<'a>(&'a [u8], bool);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if !self.1 {
                self.1 = true;
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = buf.len().min(self.0.len()).min(1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn starts_with_gzip_reads_the_two_magic_bytes_whatever_the_reads() {
        assert!(starts_with_gzip(&mut Trickle(&[0x1f, 0x8b, 8], false)).unwrap());
        assert!(!starts_with_gzip(&mut Trickle(&[0x1f, b'x'], false)).unwrap());
        assert!(
            !starts_with_gzip(&mut Trickle(&[0x1f], false)).unwrap(),
            "too short"
        );
        assert!(!starts_with_gzip(&mut Trickle(b"", false)).unwrap());
        // At most the two bytes are taken: the rest is the caller's.
        let mut r = Trickle(&[0x1f, 0x8b, 8, 0], true);
        assert!(starts_with_gzip(&mut r).unwrap());
        assert_eq!(r.0, [8, 0]);
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn read_all(bytes: &[u8]) -> (bool, io::Result<Vec<u8>>) {
        let mut i = Input::detect(bytes).unwrap();
        let mut out = Vec::new();
        let r = i.read_to_end(&mut out).map(|_| out);
        (i.is_gzip(), r)
    }

    #[test]
    fn plain_short_and_empty_inputs_pass_through() {
        for input in [
            &b""[..],
            b"x",
            b"\x1f",
            b"\x1fx",
            b"2026-11-25 10:00:00 x\n",
        ] {
            let (gz, out) = read_all(input);
            assert!(!gz);
            assert_eq!(out.unwrap(), input);
        }
    }

    #[test]
    #[cfg(not(feature = "gzip"))]
    fn gzip_without_the_feature_is_an_error_that_says_so() {
        let (gz, out) = read_all(&gzip(b"2026-11-25 10:00:00 x\n"));
        assert!(gz);
        let e = out.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::Unsupported);
        assert!(e.to_string().contains("`gzip` feature"), "{e}");
    }

    #[test]
    #[cfg(feature = "gzip")]
    fn multi_member_gzip_is_read_whole() {
        let mut both = gzip(b"first\n");
        both.extend(gzip(b"second\n"));
        let (gz, out) = read_all(&both);
        assert!(gz);
        assert_eq!(out.unwrap(), b"first\nsecond\n");
    }

    /// Gives `first` in one read, then fails every later read: a pipe whose
    /// writer has not written more yet (a read would wait).
    struct Then<'a>(Option<&'a [u8]>);

    impl Read for Then<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let first = self
                .0
                .take()
                .ok_or_else(|| io::Error::other("would wait"))?;
            buf[..first.len()].copy_from_slice(first);
            Ok(first.len())
        }
    }

    /// A read that fails (not interrupted) is the caller's error, at once.
    #[test]
    fn a_failed_read_is_an_error() {
        let e = starts_with_gzip(&mut Then(None)).unwrap_err();
        assert_eq!(e.to_string(), "would wait");
        let e = Input::detect(Then(None)).err().unwrap();
        assert_eq!(e.to_string(), "would wait");
    }

    #[test]
    fn detect_waits_for_two_bytes_and_no_more() {
        let i = Input::detect(Then(Some(&[0x1f, 0x8b]))).unwrap();
        assert!(i.is_gzip());
        let mut i = Input::detect(Then(Some(b"20"))).unwrap();
        assert!(!i.is_gzip());
        let mut two = [0u8; 2];
        i.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"20");
        // The third byte is read when the caller asks for it, not before.
        assert_eq!(i.read(&mut two).unwrap_err().to_string(), "would wait");
    }

    #[test]
    #[cfg(feature = "gzip")]
    fn detect_reads_on_after_short_and_interrupted_reads() {
        let bytes = gzip(b"2026-11-25 10:00:00 x\n");
        let mut i = Input::detect(Trickle(&bytes, false)).unwrap();
        assert!(i.is_gzip());
        let mut out = Vec::new();
        i.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"2026-11-25 10:00:00 x\n");
        let mut i = Input::detect(Trickle(b"\x1fx", false)).unwrap();
        assert!(!i.is_gzip());
        out.clear();
        i.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"\x1fx");
    }

    /// The framing is told from what a reader's first buffer holds: the
    /// first read of `detect`, 8 KiB. Here 20 syslog-wrapped lines (1,320
    /// bytes) come before 30 plain ones (1,620): the whole 2,940 bytes fit
    /// in 8 KiB, so the plain lines are the majority (30 against 20) and the
    /// stream is plain, for a reader of the stream and for a byte range's
    /// reader of the file (`file_framing`) alike. A first read of 1 KiB
    /// would see only syslog lines.
    #[test]
    fn the_framing_is_told_from_the_first_8_kib() {
        let syslog = "Nov 25 10:00:02 mx1 exim[4321]: 1sAoM5-00000009r3p-06vq Completed\n";
        let plain = "2026-11-25 10:00:01 1sAoM5-00000009r3p-06vq Completed\n";
        assert_eq!((syslog.len(), plain.len()), (66, 54));
        let text = format!("{}{}", syslog.repeat(20), plain.repeat(30));
        let mut rdr = super::super::LogReader::new(Input::detect(text.as_bytes()).unwrap());
        let mut buf = Vec::new();
        rdr.read_line(&mut buf).unwrap();
        assert_eq!(rdr.framing(), Some(Framing::Plain));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mainlog");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(file_framing(&path).unwrap(), Some(Framing::Plain));
        // An empty file and a gzip file have none (nothing to tell it from;
        // a gzip file is not cut into ranges).
        std::fs::write(&path, "").unwrap();
        assert_eq!(file_framing(&path).unwrap(), None);
        std::fs::write(&path, gzip(text.as_bytes())).unwrap();
        assert_eq!(file_framing(&path).unwrap(), None);
        // The syslog lines alone are syslog (the test's premise).
        assert_eq!(
            Framing::detect(syslog.repeat(20).as_bytes()),
            Framing::Rfc3164
        );
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let full = gzip(&b"2026-11-25 10:00:00 some log line\n".repeat(100));
        let (_, out) = read_all(&full[..full.len() - 12]);
        assert!(out.is_err());
    }
}
