//! Look-alike warnings for a domain a reader sees (its Unicode form): labels that mix scripts
//! (RFC 5891 §4.2.3 and UTS #39 in spirit), and labels written entirely in non-Latin letters
//! that render like Latin ones.

/// A rough script class for look-alike detection (labels mixing scripts, RFC 5891 §4.2.3 and
/// UTS #39 in spirit): enough to tell Latin from the scripts with Latin look-alikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Common,
    Latin,
    Greek,
    Cyrillic,
    Armenian,
    Cherokee,
    Other(u32),
}

fn script(c: char) -> Script {
    match u32::from(c) {
        0x30..=0x39 | 0x2D | 0x2E | 0x5F => Script::Common,
        0x41..=0x5A
        | 0x61..=0x7A
        | 0xC0..=0x24F
        | 0x1E00..=0x1EFF
        | 0x2C60..=0x2C7F
        | 0xA720..=0xA7FF
        | 0xFF21..=0xFF3A
        | 0xFF41..=0xFF5A => Script::Latin,
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x530..=0x58F => Script::Armenian,
        0x13A0..=0x13FF | 0xAB70..=0xABBF => Script::Cherokee,
        0x300..=0x36F => Script::Common,
        // Blocks of 128 stand in for the other scripts: distinct enough to notice a mix.
        cp => Script::Other(cp >> 7),
    }
}

/// Look-alike warnings for a domain shown to a reader (its Unicode form): labels that mix
/// scripts, and Latin look-alikes from Cyrillic, Greek, Armenian or Cherokee in an otherwise
/// Latin-looking name.
pub fn lookalike_notes(unicode_domain: &str) -> Vec<String> {
    let mut notes = Vec::new();
    for label in unicode_domain.split('.') {
        let mut scripts: Vec<Script> = Vec::new();
        for c in label.chars() {
            let s = script(c);
            if s != Script::Common && !scripts.contains(&s) {
                scripts.push(s);
            }
        }
        if scripts.len() > 1 {
            notes.push(format!(
                "label {:?} mixes scripts (a look-alike of another name?)",
                label
            ));
        } else if matches!(
            scripts.first(),
            Some(Script::Cyrillic | Script::Greek | Script::Armenian | Script::Cherokee)
        ) && label
            .chars()
            .all(|c| confusable_with_latin(c) || script(c) == Script::Common)
        {
            notes.push(format!(
                "label {:?} is written entirely in letters that look Latin (a confusable name)",
                label
            ));
        }
    }
    notes
}

/// Non-Latin letters that render like Latin ones (UTS #39 confusables, the common subset).
fn confusable_with_latin(c: char) -> bool {
    "аеорсухіјѕԁһӏԛԝвкмнтАВЕКМНОРСТХУІЈЅαορνυικτΑΒΕΖΗΙΚΜΝΟΡΤΥΧահոսօ".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalikes() {
        assert_eq!(lookalike_notes("bücher.test"), Vec::<String>::new());
        assert_eq!(
            lookalike_notes("pаypal.test").len(),
            1,
            "Cyrillic а in Latin"
        );
        assert_eq!(
            lookalike_notes("рау.test").len(),
            1,
            "all-Cyrillic look-alike"
        );
        assert!(
            lookalike_notes("пример.test").is_empty(),
            "real Cyrillic word"
        );
    }
}
