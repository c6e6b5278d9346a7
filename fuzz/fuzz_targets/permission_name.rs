#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| teamgate_fuzz::targets::permission_name(data));
