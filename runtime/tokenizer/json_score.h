// The f64 that Hugging Face `tokenizers` reads for a Unigram score written in tokenizer.json.
// `tokenizers` parses the file with serde_json without its float_roundtrip feature, which computes a
// decimal number as (its digits as an integer, rounded to f64) * or / (a power of ten): two roundings, so
// the result can be an ulp away from the nearest f64 (t5-small's "-2.0122928619384766" reads as
// -2.012292861938477). Unigram's lattice adds these scores, and exact ties between segmentations (t5-small:
// "---" "---" "-" against "-" "---" "---") then go the other way than with the .model's float scores.
#pragma once

#include <string_view>

namespace edgembed {

// serde_json's reading of a JSON number (integer part, fraction, exponent); 0 for text that is not one.
double serde_json_number(std::string_view text);

// serde_json's reading of the shortest decimal text of score (what tokenizers and Python's json write for
// a float score widened to f64).
double hf_json_score(float score);

}  // namespace edgembed
