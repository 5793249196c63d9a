//! Data files of one file set, cut into parts of at most `max_bytes` (uncompressed) each, each
//! optionally gzip-compressed (both loaders read `.gz` files: Neptune "supports gzip"
//! per https://docs.aws.amazon.com/neptune/latest/userguide/bulk-load-tutorial-format.html, and
//! neo4j-admin import reads `.gz` inputs per https://neo4j.com/docs/operations-manual/current/import/).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

/// How a file set's parts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartOptions {
    /// A new part starts once a part holds this many bytes of rows (always at least one row).
    pub max_bytes: u64,
    pub gzip: bool,
}

enum Out {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
}

impl Out {
    fn create(path: &Path, gzip: bool) -> io::Result<Out> {
        let file = BufWriter::with_capacity(1 << 16, File::create(path)?);
        Ok(if gzip { Out::Gzip(GzEncoder::new(file, Compression::fast())) } else { Out::Plain(file) })
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Out::Plain(w) => w.write_all(bytes),
            Out::Gzip(w) => w.write_all(bytes),
        }
    }

    fn finish(self) -> io::Result<()> {
        let file = match self {
            Out::Plain(w) => w.into_inner().map_err(|e| e.into_error())?,
            Out::Gzip(w) => w.finish()?.into_inner().map_err(|e| e.into_error())?,
        };
        file.sync_all()
    }
}

/// Writes rows into `<stem>-00001.csv[.gz]`, `<stem>-00002...`, each starting with `header`
/// when one is given (Neptune wants it in every file; neo4j-admin reads it from its own file).
pub struct Parts {
    dir: PathBuf,
    stem: String,
    header: Option<String>,
    options: PartOptions,
    current: Option<(Out, u64)>,
    written: Vec<PathBuf>,
}

impl Parts {
    pub fn new(dir: &Path, stem: String, header: Option<String>, options: PartOptions) -> Parts {
        Parts { dir: dir.to_path_buf(), stem, header, options, current: None, written: Vec::new() }
    }

    /// The file name a part (or, with `part` "header", the header file) gets.
    pub fn file_name(stem: &str, part: &str, gzip: bool) -> String {
        format!("{stem}-{part}.csv{}", if gzip { ".gz" } else { "" })
    }

    /// Appends one complete line (with its line break).
    pub fn row(&mut self, line: &str) -> io::Result<()> {
        if self.current.as_ref().is_some_and(|(_, n)| *n >= self.options.max_bytes) {
            let (out, _) = self.current.take().expect("checked");
            out.finish()?;
        }
        let (out, n) = self.open()?;
        out.write_all(line.as_bytes())?;
        *n += line.len() as u64;
        Ok(())
    }

    /// Appends complete lines at once (text written with [`super::cell`]): the same parts as one
    /// [`Parts::row`] per line, in one write when they all fit in the current part.
    pub fn rows(&mut self, text: &str) -> io::Result<()> {
        let max = self.options.max_bytes;
        if self.current.as_ref().is_some_and(|(_, n)| *n < max) || self.current.is_none() {
            let (out, n) = self.open()?;
            if *n + text.len() as u64 <= max {
                out.write_all(text.as_bytes())?;
                *n += text.len() as u64;
                return Ok(());
            }
        }
        super::cell::lines(text).try_for_each(|line| self.row(line))
    }

    fn open(&mut self) -> io::Result<&mut (Out, u64)> {
        if self.current.is_none() {
            let name = Self::file_name(&self.stem, &format!("{:05}", self.written.len() + 1), self.options.gzip);
            let path = self.dir.join(name);
            let mut out = Out::create(&path, self.options.gzip)?;
            if let Some(h) = &self.header {
                out.write_all(h.as_bytes())?;
            }
            self.written.push(path);
            self.current = Some((out, 0));
        }
        Ok(self.current.as_mut().expect("opened above"))
    }

    /// Closes the last part; the parts written, in order.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
        if let Some((out, _)) = self.current.take() {
            out.finish()?;
        }
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn parts_split_at_the_size_and_each_gzip_part_has_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let mut parts =
            Parts::new(dir.path(), "n".into(), Some("h\r\n".into()), PartOptions { max_bytes: 6, gzip: true });
        for line in ["aaa\r\n", "bb\r\n", "c\r\n"] {
            parts.row(line).unwrap();
        }
        let written = parts.finish().unwrap();
        let names: Vec<_> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["n-00001.csv.gz", "n-00002.csv.gz"]);
        let read = |p: &PathBuf| {
            let mut s = String::new();
            flate2::read::GzDecoder::new(File::open(p).unwrap()).read_to_string(&mut s).unwrap();
            s
        };
        assert_eq!(read(&written[0]), "h\r\naaa\r\nbb\r\n");
        assert_eq!(read(&written[1]), "h\r\nc\r\n");
    }

    #[test]
    fn lines_written_at_once_make_the_same_parts_as_lines_written_one_by_one() {
        let chunks = ["a\r\nbb\r\n", "\"x\r\ny\"\r\n", "ccc\r\nd\r\n", "e\r\n"];
        for max_bytes in [1, 4, 6, 9, 100] {
            let options = PartOptions { max_bytes, gzip: false };
            let (one, many) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            let mut by_line = Parts::new(one.path(), "n".into(), None, options);
            let mut by_chunk = Parts::new(many.path(), "n".into(), None, options);
            for chunk in chunks {
                super::super::cell::lines(chunk).for_each(|l| by_line.row(l).unwrap());
                by_chunk.rows(chunk).unwrap();
            }
            let read = |ps: Vec<PathBuf>| ps.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect::<Vec<_>>();
            assert_eq!(read(by_chunk.finish().unwrap()), read(by_line.finish().unwrap()), "max_bytes {max_bytes}");
        }
    }
}
