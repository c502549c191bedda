// Where the Unicode data of utf8proc 2.8 (Unicode 15.0) and of Hugging Face `tokenizers` 0.23 disagree, for
// the byte-level BPE path (bpe_pre_tokenizer.h, bpe_normalizer.h). `tokenizers` takes its data from three
// crates of different ages:
//   - the split regexes run on Oniguruma, whose \p{L} / \p{N} tables are Unicode 16.0;
//   - the Lowercase normalizer is Rust's char::to_lowercase (full mappings; Unicode 17.0 in the Rust release
//     that built the 0.23.3 wheel);
//   - the NFC normalizer is unicode-normalization-alignments 0.1, older than Unicode 13: it does not know
//     the combining classes and compositions of marks added since.
// Each table below was found by asking `tokenizers` 0.23.3 about every Unicode scalar value (the probes are
// in tests/python/test_tokenizer_parity_bpe.py: test_every_code_point_*); everything else agrees.
#pragma once

namespace edgembed::hf_unicode {

// Letters (\p{L}) and numbers (\p{N}) of Unicode 16.0 that utf8proc 2.8 has as unassigned (Cn).
bool is_unicode16_letter(char32_t cp) noexcept;
bool is_unicode16_number(char32_t cp) noexcept;

// Rust's char::to_lowercase where it differs from utf8proc_tolower: U+0130 (full mapping, two code points)
// and the case pairs of Unicode 16.0 and 17.0. Writes the lowercase form to out[0..n) and returns n (1 or 2), or
// 0 when utf8proc_tolower is right.
int rust_lowercase_exception(char32_t cp, char32_t out[2]) noexcept;

// Code points that Hugging Face's NFC treats as inert starters (combining class 0, no decomposition, no
// composition) while utf8proc reorders, decomposes or composes them: marks of Unicode 13+ and the parts of
// U+11938. NFC(a x b) = NFC(a) x NFC(b) for such an x in `tokenizers`.
bool is_nfc_inert_in_hf(char32_t cp) noexcept;

}  // namespace edgembed::hf_unicode
