//! Integration tests: the real binary against zone replay files and a real DNS server.
