//! A small, strict PLY reader for the vertex table of splat files: binary (either endianness) or
//! ASCII, scalar vertex properties of any type. Counts in the header are never trusted for
//! allocation: a header that promises more rows than the file holds yields the rows present
//! and says how many were missing.

use std::collections::HashMap;

/// The header may not be longer than this: real splat PLYs have a few kilobytes.
const MAX_HEADER: usize = 1 << 20;

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

/// The vertex element of a PLY file.
pub struct VertexTable<'a> {
    pub comments: Vec<String>,
    pub names: Vec<String>,
    index: HashMap<String, usize>,
    /// Rows declared by the header.
    pub declared: u64,
    /// Rows actually present (≤ declared).
    pub rows: usize,
    data: Data<'a>,
}

enum Data<'a> {
    Binary { bytes: &'a [u8], stride: usize, offsets: Vec<(usize, Scalar)>, big_endian: bool },
    Ascii(Vec<f64>),
}

impl<'a> VertexTable<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<VertexTable<'a>, String> {
        let head_len = bytes.len().min(MAX_HEADER);
        let end = find(&bytes[..head_len], b"end_header\n")
            .map(|i| i + b"end_header\n".len())
            .or_else(|| find(&bytes[..head_len], b"end_header\r\n").map(|i| i + b"end_header\r\n".len()))
            .ok_or("no 'end_header' line in the first megabyte (not a PLY file, or truncated header)")?;
        let header = std::str::from_utf8(&bytes[..end]).map_err(|_| "header is not text")?;
        let mut lines = header.lines().map(str::trim);
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
                        _ => return Err(format!("unknown format '{f}'")),
                    })
                }
                ["comment", ..] => comments.push(line["comment".len()..].trim().to_string()),
                ["obj_info", ..] | ["end_header"] | [] => {}
                ["element", name, count] => {
                    let count = count.parse::<u64>().map_err(|_| format!("bad element count '{count}'"))?;
                    elements.push(Element { name: name.to_string(), count, properties: Vec::new(), has_list: false });
                }
                ["property", "list", _, _, name] => {
                    let e = elements.last_mut().ok_or("property before any element")?;
                    e.has_list = true;
                    e.properties.push((name.to_string(), Scalar::U8));
                }
                ["property", ty, name] => {
                    let e = elements.last_mut().ok_or("property before any element")?;
                    let s = Scalar::parse(ty).ok_or_else(|| format!("unknown property type '{ty}'"))?;
                    e.properties.push((name.to_string(), s));
                }
                _ => return Err(format!("unexpected header line '{line}'")),
            }
        }
        let format = format.ok_or("no 'format' line")?;
        let vi = elements.iter().position(|e| e.name == "vertex").ok_or("no 'vertex' element")?;
        if elements[..vi].iter().any(|e| e.count > 0) {
            return Err("elements before 'vertex' are not supported".into());
        }
        let Element { count: declared, properties: props, has_list, .. } = elements.swap_remove(vi);
        if has_list {
            return Err("list properties in the vertex element are not supported".into());
        }
        let names: Vec<String> = props.iter().map(|p| p.0.clone()).collect();
        let index = names.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
        let body = &bytes[end..];
        let (data, rows) = match format {
            Format::Ascii => {
                let text = std::str::from_utf8(body).map_err(|_| "ASCII body is not text")?;
                let mut values = Vec::new();
                let mut rows = 0usize;
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    if rows as u64 == declared {
                        break;
                    }
                    let row: Result<Vec<f64>, _> = line.split_whitespace().map(str::parse::<f64>).collect();
                    let row = row.map_err(|_| format!("row {rows} has a value that is not a number"))?;
                    if row.len() != props.len() {
                        return Err(format!("row {rows} has {} values, expected {}", row.len(), props.len()));
                    }
                    values.extend(row);
                    rows += 1;
                }
                (Data::Ascii(values), rows)
            }
            Format::BinaryLe | Format::BinaryBe => {
                let mut offsets = Vec::with_capacity(props.len());
                let mut stride = 0;
                for (_, s) in &props {
                    offsets.push((stride, *s));
                    stride += s.size();
                }
                if stride == 0 {
                    return Err("vertex element has no properties".into());
                }
                let rows = (declared.min((body.len() / stride) as u64)) as usize;
                (Data::Binary { bytes: body, stride, offsets, big_endian: format == Format::BinaryBe }, rows)
            }
        };
        Ok(VertexTable { comments, names, index, declared, rows, data })
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Value of property `col` in row `row` (both in range).
    pub fn get(&self, row: usize, col: usize) -> f64 {
        match &self.data {
            Data::Binary { bytes, stride, offsets, big_endian } => {
                let (off, s) = offsets[col];
                s.read(&bytes[row * stride + off..], *big_endian)
            }
            Data::Ascii(v) => v[row * self.names.len() + col],
        }
    }

    /// Columns for `names`, or an error naming the first missing one.
    pub fn columns(&self, names: &[&str]) -> Result<Vec<usize>, String> {
        names.iter().map(|n| self.column(n).ok_or_else(|| format!("missing vertex property '{n}'"))).collect()
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
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_ascii_agree_and_truncation_is_counted() {
        let mut bin = b"ply\nformat binary_little_endian 1.0\ncomment splat4d time_range 0 10\nelement vertex 3\nproperty float x\nproperty uchar c\nend_header\n".to_vec();
        for (x, c) in [(1.5f32, 7u8), (-2.0, 255)] {
            bin.extend_from_slice(&x.to_le_bytes());
            bin.push(c);
        }
        let t = VertexTable::parse(&bin).unwrap();
        assert_eq!((t.declared, t.rows), (3, 2));
        assert_eq!(t.get(1, 0), -2.0);
        assert_eq!(t.get(1, t.column("c").unwrap()), 255.0);
        assert_eq!(t.splat4d_comment("time_range"), Some("0 10"));
        let ascii =
            b"ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty uchar c\nend_header\n1.5 7\n-2 255\n";
        let a = VertexTable::parse(ascii).unwrap();
        assert_eq!((a.rows, a.get(1, 0), a.get(0, 1)), (2, -2.0, 7.0));
    }

    #[test]
    fn hostile_headers_are_errors() {
        for bad in [
            &b"plx\n"[..],
            b"ply\nformat binary_little_endian 1.0\nelement vertex 99999999999999\nproperty float x\n",
            b"ply\nformat binary_little_endian 1.0\nproperty float x\nend_header\n",
            b"ply\nformat weird 1.0\nelement vertex 1\nproperty float x\nend_header\n",
            b"ply\nformat binary_little_endian 1.0\nelement vertex 1\nproperty list uchar int idx\nend_header\n",
        ] {
            assert!(VertexTable::parse(bad).is_err());
        }
        // A huge count with a tiny body allocates nothing and reports zero rows present.
        let t = VertexTable::parse(b"ply\nformat binary_little_endian 1.0\nelement vertex 18446744073709551615\nproperty float x\nend_header\n").unwrap();
        assert_eq!(t.rows, 0);
    }
}
