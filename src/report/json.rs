//! JSON rendering: one document, pretty-printed, newline-terminated.

/// `value` as pretty-printed JSON with a final newline.
pub fn render<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // The model holds only strings, numbers, booleans and lists: this cannot fail in practice.
        Err(e) => format!("{{\"error\": \"cannot serialise report: {e}\"}}\n"),
    }
}
