//! The BIMI logo: SVG Tiny Portable/Secure (the profile BIMI requires, draft-svg-tiny-ps),
//! checked with roxmltree (no DTDs, so no entity expansion).

/// The profile's size limit for the logo file.
pub(super) const MAX_SVG: usize = 32 * 1024;

/// Elements the Portable/Secure profile forbids (script, foreign content, raster or media
/// references, links).
const FORBIDDEN: &[&str] = &[
    "script",
    "foreignObject",
    "image",
    "video",
    "audio",
    "a",
    "iframe",
    "animation",
];

/// Why a logo is not SVG Tiny PS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum SvgProblem {
    /// Larger than the profile allows.
    #[error("the SVG is {0} octets; SVG Tiny PS allows at most 32 KiB")]
    TooLarge(usize),
    /// Not well-formed XML (or a DTD, which the profile does not allow).
    #[error("not well-formed XML without a DTD: {0}")]
    Xml(String),
    /// The root is not `<svg>`.
    #[error("the root element is <{0}>, not <svg>")]
    NotSvg(String),
    /// `baseProfile="tiny-ps"` and `version="1.2"` are required.
    #[error("the root <svg> must say baseProfile=\"tiny-ps\" version=\"1.2\" (has {0})")]
    Profile(String),
    /// No `<title>` child of the root.
    #[error("no <title> element (required: it names the brand)")]
    NoTitle,
    /// A forbidden element.
    #[error("a <{0}> element (scripts, links and external content are not allowed)")]
    Forbidden(String),
    /// An event-handler attribute.
    #[error("an {0}= event handler attribute (scripts are not allowed)")]
    Handler(String),
    /// A reference to anything outside the document.
    #[error("an external reference {0:?} (only #fragment references are allowed)")]
    External(String),
    /// `x=` / `y=` on the root.
    #[error("x= or y= on the root <svg> (not allowed)")]
    Position,
    /// The viewBox is missing or not square.
    #[error("the viewBox {0:?} is not square (a square logo is required)")]
    NotSquare(String),
}

/// Every problem of the logo; empty when it fits the profile.
pub(super) fn check(svg: &[u8]) -> Vec<SvgProblem> {
    let mut out = Vec::new();
    if svg.len() > MAX_SVG {
        out.push(SvgProblem::TooLarge(svg.len()));
    }
    let text = match std::str::from_utf8(svg) {
        Ok(t) => t,
        Err(e) => {
            out.push(SvgProblem::Xml(e.to_string()));
            return out;
        }
    };
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 100_000,
    };
    let doc = match roxmltree::Document::parse_with_options(text, opts) {
        Ok(d) => d,
        Err(e) => {
            out.push(SvgProblem::Xml(e.to_string()));
            return out;
        }
    };
    let root = doc.root_element();
    if root.tag_name().name() != "svg" {
        out.push(SvgProblem::NotSvg(root.tag_name().name().to_string()));
        return out;
    }
    let profile = root.attribute("baseProfile");
    let version = root.attribute("version");
    if profile != Some("tiny-ps") || version != Some("1.2") {
        out.push(SvgProblem::Profile(format!(
            "baseProfile={:?} version={:?}",
            profile.unwrap_or(""),
            version.unwrap_or("")
        )));
    }
    if root.attribute("x").is_some() || root.attribute("y").is_some() {
        out.push(SvgProblem::Position);
    }
    let view_box = root.attribute("viewBox").unwrap_or("");
    let numbers: Vec<f64> = view_box
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    match numbers.as_slice() {
        [_, _, w, h] if (w - h).abs() < f64::EPSILON && *w > 0.0 => {}
        _ => out.push(SvgProblem::NotSquare(view_box.to_string())),
    }
    if !root
        .children()
        .any(|c| c.is_element() && c.tag_name().name() == "title")
    {
        out.push(SvgProblem::NoTitle);
    }
    for node in root.descendants().filter(roxmltree::Node::is_element) {
        let name = node.tag_name().name();
        if FORBIDDEN.contains(&name) {
            out.push(SvgProblem::Forbidden(name.to_string()));
        }
        for a in node.attributes() {
            let key = a.name();
            if key.len() > 2 && key[..2].eq_ignore_ascii_case("on") {
                out.push(SvgProblem::Handler(key.to_string()));
            } else if (key == "href" && !a.value().starts_with('#'))
                || (a.value().contains("url(") && !a.value().contains("url(#"))
            {
                out.push(SvgProblem::External(a.value().to_string()));
            }
        }
        if name == "style" && node.text().is_some_and(|t| t.contains("@import")) {
            out.push(SvgProblem::External("@import".into()));
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100"><title>Example</title><rect width="100" height="100" fill="url(#g)"/></svg>"##;

    /// A minimal Tiny PS logo passes; each rule is caught on its own.
    #[test]
    fn profile_rules() {
        assert_eq!(check(GOOD.as_bytes()), vec![]);
        let bad = |s: &str| check(s.as_bytes());
        assert!(matches!(
            bad(&GOOD.replace("tiny-ps", "tiny"))[..],
            [SvgProblem::Profile(_)]
        ));
        assert!(matches!(
            bad(&GOOD.replace("0 0 100 100", "0 0 100 50"))[..],
            [SvgProblem::NotSquare(_)]
        ));
        assert!(matches!(
            bad(&GOOD.replace("<title>Example</title>", ""))[..],
            [SvgProblem::NoTitle]
        ));
        assert!(
            bad(&GOOD.replace("<rect", "<script>x</script><rect"))
                .contains(&SvgProblem::Forbidden("script".into()))
        );
        assert!(
            bad(&GOOD.replace("<rect", "<rect onclick=\"x()\""))
                .contains(&SvgProblem::Handler("onclick".into()))
        );
        assert!(
            bad(&GOOD.replace("url(#g)", "url(https://x.test/a)"))
                .iter()
                .any(|p| matches!(p, SvgProblem::External(_)))
        );
        let dtd = format!("<!DOCTYPE svg [<!ENTITY a \"b\">]>{GOOD}");
        assert!(matches!(bad(&dtd)[..], [SvgProblem::Xml(_)]));
        assert!(matches!(
            bad(&"x".repeat(MAX_SVG + 1))[..],
            [SvgProblem::TooLarge(_), SvgProblem::Xml(_)]
        ));
    }
}
