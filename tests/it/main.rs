//! Integration tests: the real binary against zone replay files and a real DNS server
//! (hickory-server on loopback). Each test says what it proves.

mod adversarial;
mod batch_cmd;
mod check_dkim;
mod check_dmarc;
mod cli_surface;
mod conformance_arc;
mod conformance_dkim;
mod conformance_spf;
mod conformance_trace;
mod differential_dmarc;
mod differential_spf;
mod dmarc_bis;
mod dns_faults;
mod docs;
mod domain_cmd;
mod explain_dkim;
mod filter_cmd;
mod golden;
mod hostile;
mod input;
mod io_faults;
mod live_dns;
mod mutation;
mod output;
mod readme;
mod recipes;
mod schemas;
mod signer;
mod spf_audit;
mod spf_cmd;
mod support;
mod support_dns;
mod support_io;
mod trace_cmd;
mod traps;
