#![no_main]
//! Fuzzes the worker's `text` entry point: any bytes must give a document
//! or an `ExtractError`, never a panic, and the JSON the worker would send
//! must round-trip.

#[path = "../../server/src/knowledge/extract/mod.rs"]
#[allow(unused)]
mod extract;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let result = extract::extract_as(extract::Format::Text, data);
    let json = serde_json::to_vec(&result).expect("results serialise");
    let back: Result<extract::Extracted, extract::ExtractError> = serde_json::from_slice(&json).expect("results deserialise");
    assert_eq!(back, result);
});
