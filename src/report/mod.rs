//! The report model and its renderers (human, JSON, Authentication-Results).

pub mod arh;
pub mod escape;
pub mod human;
pub mod model;
pub mod style;

/// JSON rendering: one document, pretty-printed, newline-terminated.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // The model holds only strings, numbers and lists; this cannot fail in practice.
        Err(e) => format!("{{\"error\": \"cannot serialise report: {e}\"}}\n"),
    }
}
