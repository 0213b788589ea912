//! A small, strict PLY reader for the vertex table of splat files: binary (either endianness) or
//! ASCII, scalar vertex properties of any type, read a row at a time from any reader so that a
//! file of any size is read in constant memory. Counts in the header are never trusted: a
//! header that promises more rows than the file holds yields the rows present, and
//! [`Rows::missing`] says how many were not.
//!
//! The header is parsed into words, so line ends (LF or CRLF), tabs and trailing spaces mean
//! nothing, and formats are told apart by the property names it declares ([`Header::has`]).

use std::collections::HashMap;
use std::io::BufRead;

use crate::error::printable;

/// The header may not be longer than this: real splat PLYs have a few kilobytes.
pub const MAX_HEADER: usize = 1 << 20;
/// Nor may one ASCII row: a few hundred numbers.
const MAX_ASCII_ROW: usize = 1 << 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Ascii,
    BinaryLe,
    BinaryBe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scalar {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl Scalar {
    fn parse(s: &str) -> Option<Scalar> {
        Some(match s {
            "char" | "int8" => Scalar::I8,
            "uchar" | "uint8" => Scalar::U8,
            "short" | "int16" => Scalar::I16,
            "ushort" | "uint16" => Scalar::U16,
            "int" | "int32" => Scalar::I32,
            "uint" | "uint32" => Scalar::U32,
            "float" | "float32" => Scalar::F32,
            "double" | "float64" => Scalar::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::F64 => 8,
        }
    }

    fn read(self, b: &[u8], big_endian: bool) -> f64 {
        macro_rules! get {
            ($t:ty, $n:expr) => {{
                let a: [u8; $n] = b[..$n].try_into().unwrap();
                (if big_endian { <$t>::from_be_bytes(a) } else { <$t>::from_le_bytes(a) }) as f64
            }};
        }
        match self {
            Scalar::I8 => b[0] as i8 as f64,
            Scalar::U8 => b[0] as f64,
            Scalar::I16 => get!(i16, 2),
            Scalar::U16 => get!(u16, 2),
            Scalar::I32 => get!(i32, 4),
            Scalar::U32 => get!(u32, 4),
            Scalar::F32 => get!(f32, 4),
            Scalar::F64 => get!(f64, 8),
        }
    }
}

/// An element as the header declares it.
struct Element {
    name: String,
    count: u64,
    properties: Vec<(String, Scalar)>,
    has_list: bool,
}

/// What a PLY header says about one element (the vertex one, unless said otherwise).
#[derive(Debug)]
pub struct Header {
    pub name: String,
    pub comments: Vec<String>,
    /// The vertex properties, in row order.
    pub names: Vec<String>,
    index: HashMap<String, usize>,
    scalars: Vec<Scalar>,
    format: Format,
    /// Rows declared by the header.
    pub declared: u64,
    /// Bytes of the header, `end_header` line included: where the rows begin.
    pub len: usize,
    has_list: bool,
}

impl Header {
    /// Parses the header at the start of `bytes` (at most [`MAX_HEADER`] of them are looked at):
    /// the vertex element, which must be the first with rows.
    pub fn parse(bytes: &[u8]) -> Result<Header, String> {
        let mut elements = Header::parse_elements(bytes)?;
        let vi = elements.iter().position(|e| e.name == "vertex").ok_or("no 'vertex' element")?;
        if elements[..vi].iter().any(|e| e.declared > 0) {
            return Err("elements before 'vertex' are not supported".into());
        }
        let vertex = elements.swap_remove(vi);
        vertex.readable()?;
        Ok(vertex)
    }

    /// An error where this element's rows cannot be read as scalars.
    pub fn readable(&self) -> Result<(), String> {
        if self.has_list {
            return Err(format!("list properties in the {} element are not supported", printable(&self.name)));
        }
        if self.names.is_empty() {
            return Err(format!("the {} element has no properties", printable(&self.name)));
        }
        Ok(())
    }

    /// Every element the header declares, in file order (their rows follow each other); see
    /// [`Header::readable`] before reading one.
    pub fn parse_elements(bytes: &[u8]) -> Result<Vec<Header>, String> {
        let head = &bytes[..bytes.len().min(MAX_HEADER)];
        let mut len = 0;
        let mut lines = Vec::new();
        loop {
            let Some(end) = head[len..].iter().position(|&b| b == b'\n') else {
                return Err(format!(
                    "no 'end_header' line in the first {} (not a PLY file, or a truncated header)",
                    if bytes.len() >= MAX_HEADER { "megabyte" } else { "bytes of the file" }
                ));
            };
            let line = std::str::from_utf8(&head[len..len + end]).map_err(|_| "the header is not text")?.trim();
            len += end + 1;
            if line == "end_header" {
                break;
            }
            lines.push(line);
        }
        let mut lines = lines.into_iter();
        if lines.next() != Some("ply") {
            return Err("does not start with 'ply'".into());
        }
        let mut format = None;
        let mut comments = Vec::new();
        let mut elements: Vec<Element> = Vec::new();
        for line in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["format", f, "1.0"] => {
                    format = Some(match *f {
                        "ascii" => Format::Ascii,
                        "binary_little_endian" => Format::BinaryLe,
                        "binary_big_endian" => Format::BinaryBe,
                        _ => return Err(format!("unknown format '{}'", printable(f))),
                    })
                }
                ["comment", ..] => comments.push(line["comment".len()..].trim().to_string()),
                ["obj_info", ..] | [] => {}
                ["element", name, count] => {
                    let count =
                        count.parse::<u64>().map_err(|_| format!("bad element count '{}'", printable(count)))?;
                    elements.push(Element { name: name.to_string(), count, properties: Vec::new(), has_list: false });
                }
                ["property", "list", _, _, name] => {
                    let e = elements.last_mut().ok_or("property before any element")?;
                    e.has_list = true;
                    e.properties.push((name.to_string(), Scalar::U8));
                }
                ["property", ty, name] => {
                    let e = elements.last_mut().ok_or("property before any element")?;
                    let s = Scalar::parse(ty).ok_or_else(|| format!("unknown property type '{}'", printable(ty)))?;
                    e.properties.push((name.to_string(), s));
                }
                _ => return Err(format!("unexpected header line '{}'", printable(line))),
            }
        }
        let format = format.ok_or("no 'format' line")?;
        Ok(elements
            .into_iter()
            .map(|Element { name, count: declared, properties, has_list }| {
                let (names, scalars): (Vec<String>, Vec<Scalar>) = properties.into_iter().unzip();
                let index = names.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
                Header { name, comments: comments.clone(), names, index, scalars, format, declared, len, has_list }
            })
            .collect())
    }

    /// Whether every property is stored as `ty` ("float", "uint", "uchar", …).
    pub fn all_of_type(&self, ty: &str) -> bool {
        Scalar::parse(ty).is_some_and(|t| self.scalars.iter().all(|&s| s == t))
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Columns for `names`, or an error naming every missing one.
    pub fn columns(&self, names: &[&str]) -> Result<Vec<usize>, String> {
        let missing: Vec<&str> = names.iter().copied().filter(|n| !self.has(n)).collect();
        match missing.as_slice() {
            [] => Ok(names.iter().map(|n| self.index[*n]).collect()),
            [one] => Err(format!("missing {} property '{one}'", printable(&self.name))),
            many => Err(format!("missing {} properties {}", printable(&self.name), many.join(", "))),
        }
    }

    /// Consecutive `prefix{i}` columns (`f_rest_0`, `f_rest_1`, …).
    pub fn numbered(&self, prefix: &str) -> Vec<usize> {
        (0..).map_while(|i| self.column(&format!("{prefix}{i}"))).collect()
    }

    /// Value of a `comment splat4d KEY VALUE…` header comment.
    pub fn splat4d_comment(&self, key: &str) -> Option<&str> {
        self.comments.iter().find_map(|c| {
            let rest = c.strip_prefix("splat4d")?.trim_start();
            let rest = rest.strip_prefix(key)?;
            rest.starts_with(char::is_whitespace).then(|| rest.trim())
        })
    }

    /// Bytes of one binary row.
    fn stride(&self) -> usize {
        self.scalars.iter().map(|s| s.size()).sum()
    }
}

/// The vertex rows after a [`Header`], one at a time, every value as f64.
pub struct Rows<'h, R> {
    header: &'h Header,
    reader: R,
    read: u64,
    values: Vec<f64>,
    raw: Vec<u8>,
}

impl<'h, R: BufRead> Rows<'h, R> {
    /// Rows from `reader`, which is positioned just after the header.
    pub fn new(header: &'h Header, reader: R) -> Rows<'h, R> {
        let width = header.names.len();
        Rows { header, reader, read: 0, values: vec![0.0; width], raw: Vec::new() }
    }

    /// The next row's values (one per property), or `None` after the last row present.
    pub fn next_row(&mut self) -> Result<Option<&[f64]>, String> {
        if self.read == self.header.declared {
            return Ok(None);
        }
        let present = match self.header.format {
            Format::Ascii => self.next_ascii()?,
            Format::BinaryLe | Format::BinaryBe => self.next_binary()?,
        };
        if !present {
            return Ok(None);
        }
        self.read += 1;
        Ok(Some(&self.values))
    }

    /// Rows read so far.
    pub fn read(&self) -> u64 {
        self.read
    }

    /// Rows the header declared that the file did not hold (after the last row was read).
    pub fn missing(&self) -> u64 {
        self.header.declared - self.read
    }

    fn next_binary(&mut self) -> Result<bool, String> {
        self.raw.resize(self.header.stride(), 0);
        let got = super::read_record(&mut self.reader, &mut self.raw).map_err(|e| format!("reading: {e}"))?;
        if got < self.raw.len() {
            return Ok(false);
        }
        let big_endian = self.header.format == Format::BinaryBe;
        let mut at = 0;
        for (v, s) in self.values.iter_mut().zip(&self.header.scalars) {
            *v = s.read(&self.raw[at..], big_endian);
            at += s.size();
        }
        Ok(true)
    }

    fn next_ascii(&mut self) -> Result<bool, String> {
        loop {
            self.raw.clear();
            let mut limited = std::io::Read::take(&mut self.reader, MAX_ASCII_ROW as u64 + 1);
            let n = limited.read_until(b'\n', &mut self.raw).map_err(|e| format!("reading row {}: {e}", self.read))?;
            if n == 0 {
                return Ok(false);
            }
            if self.raw.len() > MAX_ASCII_ROW {
                return Err(format!("row {} is longer than {MAX_ASCII_ROW} bytes", self.read));
            }
            let line = std::str::from_utf8(&self.raw).map_err(|_| format!("row {} is not text", self.read))?;
            if line.trim().is_empty() {
                continue;
            }
            let mut words = line.split_whitespace();
            for v in self.values.iter_mut() {
                let word = words.next().ok_or_else(|| format!("row {} has fewer values than properties", self.read))?;
                *v = word.parse().map_err(|_| format!("row {} has a value that is not a number", self.read))?;
            }
            if words.next().is_some() {
                return Err(format!("row {} has more values than the {} properties", self.read, self.values.len()));
            }
            return Ok(true);
        }
    }
}

/// The properties only a 4DGS PLY has (`rot_r_*` only where it was trained with `rot_4d`).
pub const FOURDGS_ONLY: [&str; 6] = ["t", "scale_t", "rot_r_0", "rot_r_1", "rot_r_2", "rot_r_3"];

impl Header {
    /// Whether the header declares any property that only 4DGS PLYs have.
    pub fn has_4dgs_properties(&self) -> bool {
        FOURDGS_ONLY.iter().any(|p| self.has(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_rows(bytes: &[u8]) -> Result<(Header, Vec<Vec<f64>>, u64), String> {
        let header = Header::parse(bytes)?;
        let mut rows = Rows::new(&header, &bytes[header.len..]);
        let mut out = Vec::new();
        while let Some(r) = rows.next_row()? {
            out.push(r.to_vec());
        }
        let missing = rows.missing();
        Ok((header, out, missing))
    }

    #[test]
    fn binary_and_ascii_agree_and_truncation_is_counted() {
        let mut bin = b"ply\nformat binary_little_endian 1.0\ncomment splat4d time_range 0 10\nelement vertex 3\nproperty float x\nproperty uchar c\nend_header\n".to_vec();
        for (x, c) in [(1.5f32, 7u8), (-2.0, 255)] {
            bin.extend_from_slice(&x.to_le_bytes());
            bin.push(c);
        }
        bin.push(1); // a cut third row
        let (h, rows, missing) = all_rows(&bin).unwrap();
        assert_eq!((h.declared, rows.len(), missing), (3, 2, 1));
        assert_eq!(rows[1], [-2.0, 255.0]);
        assert_eq!(h.splat4d_comment("time_range"), Some("0 10"));
        let ascii =
            b"ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty uchar c\nend_header\n1.5 7\n\n-2 255\n";
        let (_, rows, missing) = all_rows(ascii).unwrap();
        assert_eq!((rows, missing), (vec![vec![1.5, 7.0], vec![-2.0, 255.0]], 0));
    }

    #[test]
    fn line_ends_tabs_and_trailing_spaces_do_not_matter() {
        let plain = b"ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty float t\nproperty float scale_t\nend_header\n";
        let odd = b"ply\r\nformat\tbinary_little_endian 1.0 \r\nelement vertex 1\r\nproperty float t \r\nproperty\tfloat\tscale_t\t\r\nend_header \r\n";
        for bytes in [&plain[..], &odd[..]] {
            let h = Header::parse(bytes).unwrap();
            assert_eq!(h.names, ["t", "scale_t"]);
            assert!(h.has_4dgs_properties());
            assert_eq!(h.len, bytes.len());
        }
    }

    #[test]
    fn missing_properties_are_all_named() {
        let h = Header::parse(b"ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nend_header\n").unwrap();
        assert_eq!(h.columns(&["x"]).unwrap(), [0]);
        assert_eq!(h.columns(&["x", "y", "z"]).unwrap_err(), "missing vertex properties y, z");
    }

    #[test]
    fn hostile_headers_are_errors() {
        for bad in [
            &b"plx\n"[..],
            b"ply\nformat binary_little_endian 1.0\nelement vertex 99999999999999\nproperty float x\n",
            b"ply\nformat binary_little_endian 1.0\nproperty float x\nend_header\n",
            b"ply\nformat weird 1.0\nelement vertex 1\nproperty float x\nend_header\n",
            b"ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty list uchar int idx\nend_header\n",
            b"ply\nformat binary_little_endian 1.0\nelement vertex 1\nend_header\n",
        ] {
            assert!(all_rows(bad).is_err());
        }
        // A huge count with a tiny body allocates nothing and reports the rows missing.
        let (_, rows, missing) = all_rows(b"ply\nformat binary_little_endian 1.0\nelement vertex 18446744073709551615\nproperty float x\nend_header\n").unwrap();
        assert_eq!((rows.len(), missing), (0, u64::MAX));
        // Control characters in a message are escaped.
        let e = all_rows(b"ply\nformat binary_little_endian 1.0\n\x1b[31mred\nend_header\n").unwrap_err();
        assert!(e.contains("\\u{1b}[31mred") && !e.contains('\x1b'), "{e}");
        // An ASCII row without an end is refused once it is longer than any real row.
        let mut long = b"ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n".to_vec();
        long.extend(std::iter::repeat_n(b'1', MAX_ASCII_ROW + 10));
        assert!(all_rows(&long).unwrap_err().contains("longer than"));
    }
}
