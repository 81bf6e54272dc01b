//! Where the header fields of each name are, for h= lists (RFC 6376 §5.4.2): built once per
//! message, without a string or a list per field name.

use std::cmp::Ordering;

use crate::message::Message;

/// The message's field positions sorted by (lower-cased name, position): the fields of one
/// name are one run, top to bottom, found by binary search.
pub struct FieldIndex {
    order: Vec<usize>,
}

impl FieldIndex {
    pub fn new(msg: &Message) -> FieldIndex {
        let mut order: Vec<usize> = (0..msg.fields.len()).collect();
        order.sort_by(|&a, &b| by_name(msg.fields[a].name, msg.fields[b].name).then(a.cmp(&b)));
        FieldIndex { order }
    }

    /// The positions of the fields named `name` (any case), top to bottom; `msg` is the
    /// message the index was built from.
    pub fn get<'a>(&'a self, msg: &Message, name: &str) -> &'a [usize] {
        let name = name.as_bytes();
        let of = |i: usize| msg.fields.get(i).map_or(&[][..], |f| f.name);
        let lo = self
            .order
            .partition_point(|&i| by_name(of(i), name) == Ordering::Less);
        let run = self.order[lo..].partition_point(|&i| by_name(of(i), name) == Ordering::Equal);
        &self.order[lo..lo + run]
    }
}

/// Field names compared as DKIM compares them: without regard to ASCII case.
fn by_name(a: &[u8], b: &[u8]) -> Ordering {
    a.iter()
        .map(u8::to_ascii_lowercase)
        .cmp(b.iter().map(u8::to_ascii_lowercase))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name's positions, in any case, are the ones a scan of the fields finds, top to
    /// bottom; a name not there has none.
    #[test]
    fn positions_equal_a_scan() {
        let wire = b"From: a@example.com\r\nSubject: x\r\nTo: b@example.com\r\nsubject: y\r\nX-A: 1\r\nSUBJECT: z\r\nx-a: 2\r\n\r\nbody\r\n";
        let msg = Message::parse(wire).expect("message");
        let index = FieldIndex::new(&msg);
        for name in [
            "subject", "Subject", "from", "to", "x-a", "date", "x", "subjects",
        ] {
            let scan: Vec<usize> = (0..msg.fields.len())
                .filter(|&i| msg.fields[i].name.eq_ignore_ascii_case(name.as_bytes()))
                .collect();
            assert_eq!(index.get(&msg, name), scan.as_slice(), "{name}");
        }
        assert_eq!(index.get(&msg, "subject"), &[1, 3, 5]);
    }
}
