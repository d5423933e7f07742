#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| quark_migrate::fuzz::cli_args(data));
