//! The deterministic benchmark corpus of issue 18, shared by the byte-identical baseline test
//! (tests/it/perf_baseline.rs) and the batch benchmark (benches/batch.rs, which includes this
//! file by path). Message `i` of a corpus is always the same bytes: its words come from a fixed
//! xorshift sequence and its signatures are RSA PKCS#1 v1.5 and Ed25519, both deterministic.
//! The keys are testdata/keys/sel1-rsa2048.pem and ed1.ed25519, published in
//! testdata/demo/zone.db, so `--dns-zone testdata/demo/zone.db` answers every query.
//!
//! The signer is written here, not taken from the verifier: it is the independent side of the
//! comparison, and it also hands the benchmark the exact canonical octets each verification
//! hashes, so the crypto floor repeats the same work with nothing else around it.

// The test uses the corpus, the benchmark also the floor: each leaves part of this unused.
#![allow(dead_code)]

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ring::signature::{self, Ed25519KeyPair, KeyPair, RsaKeyPair};

/// The evaluation time given as `--at` (the signatures carry t= a little before it).
pub const AT: &str = "1795440200";
/// The zone file that holds the corpus's keys, SPF and DMARC records.
pub const ZONE: &str = "testdata/demo/zone.db";

/// How the messages differ: ten kinds, message `i` is of kind `i % 10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// RSA-2048, relaxed/relaxed: passes.
    Relaxed,
    /// RSA-2048, simple/simple: passes.
    Simple,
    /// Ed25519 and RSA-2048 signatures, both relaxed: both pass.
    Double,
    /// RSA-2048 relaxed, a line added to the body after signing: body hash mismatch.
    BodyAltered,
    /// RSA-2048 relaxed, the Subject changed after signing: the signature fails.
    HeaderAltered,
}

fn kind(i: usize) -> Kind {
    match i % 10 {
        6 => Kind::Simple,
        7 => Kind::Double,
        8 => Kind::BodyAltered,
        9 => Kind::HeaderAltered,
        _ => Kind::Relaxed,
    }
}

/// The key a floor verification uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rsa,
    Ed25519,
}

/// One signature's cryptographic work as a verifier must do it.
pub struct SigWork {
    pub alg: Alg,
    /// The canonical header block (signed fields, then the signature field without b=).
    pub header: Vec<u8>,
    pub signature: Vec<u8>,
    /// Whether the body hash matches, so that a verifier goes on to the signature.
    pub verify: bool,
}

/// One message's cryptographic work: each distinct canonical body hashed once, then each
/// signature whose body hash matched verified.
pub struct Work {
    pub bodies: Vec<Vec<u8>>,
    pub signatures: Vec<SigWork>,
}

/// The signing keys and the public halves the floor verifies with.
pub struct Keys {
    rsa: RsaKeyPair,
    ed: Ed25519KeyPair,
}

impl Keys {
    /// Read the two test keys from the repository at `root`.
    pub fn load(root: &Path) -> Keys {
        let pem = std::fs::read_to_string(root.join("testdata/keys/sel1-rsa2048.pem"))
            .expect("RSA test key");
        let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = B64.decode(der).expect("PEM base64");
        let rsa = RsaKeyPair::from_der(&der).expect("PKCS#1 RSA key");
        let seed = std::fs::read_to_string(root.join("testdata/keys/ed1.ed25519"))
            .expect("Ed25519 test key");
        let seed = B64.decode(seed.trim()).expect("seed base64");
        let ed = Ed25519KeyPair::from_seed_unchecked(&seed).expect("Ed25519 seed");
        Keys { rsa, ed }
    }

    /// Verify one signature as the floor does: ring, the same algorithms as the verifier.
    pub fn verify(&self, w: &SigWork) -> bool {
        match w.alg {
            Alg::Rsa => signature::UnparsedPublicKey::new(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                self.rsa.public_key().as_ref(),
            )
            .verify(&w.header, &w.signature)
            .is_ok(),
            Alg::Ed25519 => {
                let digest = ring::digest::digest(&ring::digest::SHA256, &w.header);
                signature::UnparsedPublicKey::new(&signature::ED25519, self.ed.public_key())
                    .verify(digest.as_ref(), &w.signature)
                    .is_ok()
            }
        }
    }
}

/// xorshift64*, seeded per message.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const WORDS: [&str; 24] = [
    "the",
    "quarterly",
    "figures",
    "are",
    "attached",
    "please",
    "review",
    "before",
    "monday",
    "meeting",
    "invoice",
    "shipment",
    "account",
    "update",
    "thanks",
    "regards",
    "schedule",
    "report",
    "draft",
    "final",
    "numbers",
    "budget",
    "team",
    "notes",
];

fn words(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// The body: 8 to 120 lines of words, some with trailing or doubled white space (which the
/// relaxed algorithm changes), and blank lines at the end now and then.
fn body(i: usize, rng: &mut Rng) -> Vec<u8> {
    let lines = 8 + (i * 37) % 113;
    let mut out = String::new();
    for n in 0..lines {
        let count = 4 + (rng.next() % 9) as usize;
        out.push_str(&words(rng, count));
        match n % 7 {
            3 => out.push_str("  "),
            5 => out.push_str(" \t"),
            _ => {}
        }
        out.push_str("\r\n");
        if n % 11 == 10 {
            out.push_str("\r\n");
        }
    }
    if i.is_multiple_of(3) {
        out.push_str("\r\n\r\n");
    }
    out.into_bytes()
}

/// RFC 6376 §3.4.4: trailing white space goes, runs become one space, empty lines at the end go.
fn relaxed_body(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    for line in text.split_terminator("\r\n") {
        let collapsed: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
        let mut l = collapsed.join(" ");
        if line.starts_with([' ', '\t']) && !l.is_empty() {
            l.insert(0, ' ');
        }
        out.push_str(&l);
        out.push_str("\r\n");
    }
    while out.ends_with("\r\n\r\n") {
        out.truncate(out.len() - 2);
    }
    if out == "\r\n" {
        out.clear();
    }
    out.into_bytes()
}

/// RFC 6376 §3.4.3: empty lines at the end go (at least one CRLF stays).
fn simple_body(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    while out.ends_with(b"\r\n\r\n") {
        out.truncate(out.len() - 2);
    }
    if out.is_empty() {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// RFC 6376 §3.4.2 for a field written by this generator (`Name: value`, maybe folded).
fn relaxed_header(name: &str, value: &str) -> String {
    let unfolded = value.replace("\r\n", "");
    let v: Vec<&str> = unfolded
        .split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect();
    format!("{}:{}\r\n", name.to_ascii_lowercase(), v.join(" "))
}

const SIGNED: [&str; 5] = ["From", "To", "Subject", "Date", "Message-ID"];

/// One signature over `fields` and `body`: the DKIM-Signature field (CRLF-terminated) and
/// the floor's work for it (given the body the verifier will see).
fn sign(
    keys: &Keys,
    alg: Alg,
    relaxed: bool,
    fields: &[(String, String)],
    signed_body: &[u8],
    seen_body: &[u8],
) -> (String, SigWork, Vec<u8>) {
    let canon_body = if relaxed {
        relaxed_body(signed_body)
    } else {
        simple_body(signed_body)
    };
    let bh = B64.encode(ring::digest::digest(&ring::digest::SHA256, &canon_body));
    let seen = if relaxed {
        relaxed_body(seen_body)
    } else {
        simple_body(seen_body)
    };
    let (a, s) = match alg {
        Alg::Rsa => ("rsa-sha256", "sel1"),
        Alg::Ed25519 => ("ed25519-sha256", "ed1"),
    };
    let c = if relaxed {
        "relaxed/relaxed"
    } else {
        "simple/simple"
    };
    let value = format!(
        " v=1; a={a}; c={c}; d=example.com; s={s};\r\n\tt=1795440130; h=from:to:subject:date:message-id;\r\n\tbh={bh};\r\n\tb="
    );
    let mut data = Vec::new();
    let header_of = |name: &str, value: &str| {
        if relaxed {
            relaxed_header(name, value)
        } else {
            format!("{name}:{value}\r\n")
        }
    };
    for want in SIGNED {
        if let Some((n, v)) = fields.iter().find(|(n, _)| n == want) {
            data.extend_from_slice(header_of(n, v).as_bytes());
        }
    }
    let own = header_of("DKIM-Signature", &value);
    data.extend_from_slice(own.strip_suffix("\r\n").unwrap_or(&own).as_bytes());
    let sig = match alg {
        Alg::Rsa => {
            let mut sig = vec![0; keys.rsa.public().modulus_len()];
            keys.rsa
                .sign(
                    &signature::RSA_PKCS1_SHA256,
                    &ring::rand::SystemRandom::new(),
                    &data,
                    &mut sig,
                )
                .expect("RSA signs");
            sig
        }
        Alg::Ed25519 => {
            let digest = ring::digest::digest(&ring::digest::SHA256, &data);
            keys.ed.sign(digest.as_ref()).as_ref().to_vec()
        }
    };
    let b = B64.encode(&sig);
    // Fold b= at 72 columns, as signers do.
    let folded: Vec<&str> = b
        .as_bytes()
        .chunks(72)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let field = format!("DKIM-Signature:{value}{}\r\n", folded.join("\r\n\t"));
    let verify = seen == canon_body;
    (
        field,
        SigWork {
            alg,
            header: data,
            signature: sig,
            verify,
        },
        seen,
    )
}

/// Message `i`: its wire bytes (CRLF) and the floor's work for it.
pub fn message(keys: &Keys, i: usize) -> (Vec<u8>, Work) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64).wrapping_mul(0x1000_0000_01b3) | 1);
    let k = kind(i);
    let subject = format!("Report {i}: {}", words(&mut rng, 3 + i % 5));
    let fields: Vec<(String, String)> = vec![
        ("From".into(), " Alice Example <alice@example.com>".into()),
        ("To".into(), " Bob <bob@receiver.test>".into()),
        ("Subject".into(), format!(" {subject}")),
        ("Date".into(), " Mon, 23 Nov 2026 10:15:00 +0000".into()),
        ("Message-ID".into(), format!(" <bench-{i}@example.com>")),
    ];
    let signed_body = body(i, &mut rng);
    let mut seen_body = signed_body.clone();
    if k == Kind::BodyAltered {
        seen_body.extend_from_slice(b"P.S. added by a mailing list\r\n");
    }
    let relaxed = k != Kind::Simple;
    let mut sigs = Vec::new();
    let mut work = Work {
        bodies: Vec::new(),
        signatures: Vec::new(),
    };
    let algs: &[Alg] = if k == Kind::Double {
        &[Alg::Ed25519, Alg::Rsa]
    } else {
        &[Alg::Rsa]
    };
    for &alg in algs {
        let (field, w, seen) = sign(keys, alg, relaxed, &fields, &signed_body, &seen_body);
        sigs.push(field);
        if !work.bodies.contains(&seen) {
            work.bodies.push(seen);
        }
        work.signatures.push(w);
    }
    let mut out = String::new();
    for s in &sigs {
        out.push_str(s);
    }
    out.push_str("Return-Path: <bounce@example.com>\r\n");
    out.push_str(&format!(
        "Received: from mail.example.com (mail.example.com [192.0.2.10])\r\n\tby mx.receiver.test (Postfix) with ESMTPS id B{i:06X}\r\n\tfor <bob@receiver.test>; Mon, 23 Nov 2026 10:15:02 +0000 (UTC)\r\n"
    ));
    for (n, v) in &fields {
        let v = if k == Kind::HeaderAltered && n == "Subject" {
            format!(" {subject} (edited)")
        } else {
            v.clone()
        };
        out.push_str(&format!("{n}:{v}\r\n"));
    }
    out.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&seen_body);
    (bytes, work)
}

/// Write messages `0..n` as `dir/NNNNNN.eml`, a folder `batch` reads in name order.
pub fn write_folder(keys: &Keys, dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).expect("corpus folder");
    for i in 0..n {
        let (bytes, _) = message(keys, i);
        std::fs::write(dir.join(format!("{i:06}.eml")), bytes).expect("corpus message");
    }
}

/// Write messages `0..n` as one mbox (mboxrd: no body line starts with "From ").
pub fn write_mbox(keys: &Keys, path: &Path, n: usize) {
    let mut out = Vec::new();
    for i in 0..n {
        let (bytes, _) = message(keys, i);
        out.extend_from_slice(b"From bounce@example.com Mon Nov 23 10:15:02 2026\r\n");
        out.extend_from_slice(&bytes);
        out.extend_from_slice(b"\r\n");
    }
    std::fs::write(path, out).expect("corpus mbox");
}
