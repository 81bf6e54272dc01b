//! Integration tests: the real binary against zone replay files and a real DNS server
//! (hickory-server on loopback). Each test says what it proves.

mod adversarial;
mod batch_cmd;
mod check_dkim;
mod check_dmarc;
mod conformance_arc;
mod conformance_dkim;
mod conformance_spf;
mod conformance_trace;
mod differential_spf;
mod docs;
mod domain_cmd;
mod filter_cmd;
mod golden;
mod hostile;
mod input;
mod live_dns;
mod mutation;
mod output;
mod signer;
mod spf_cmd;
mod support;
mod trace_cmd;
