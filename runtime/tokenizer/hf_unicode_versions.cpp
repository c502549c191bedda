#include "runtime/tokenizer/hf_unicode_versions.h"

#include <algorithm>
#include <cstddef>

namespace edgembed::hf_unicode {

namespace {

struct Range {
    char32_t first, last;
};

template <std::size_t N>
bool in_ranges(const Range (&ranges)[N], char32_t cp) noexcept {
    if (cp < ranges[0].first || cp > ranges[N - 1].last) return false;
    const Range* it = std::upper_bound(ranges, ranges + N, cp, [](char32_t c, const Range& r) { return c < r.first; });
    return it != ranges && cp <= (it - 1)->last;
}

// Sorted, disjoint.
constexpr Range unicode16_letters[] = {
    {0x1C89, 0x1C8A},   {0xA7CB, 0xA7CD},   {0xA7DA, 0xA7DC},   {0x105C0, 0x105F3}, {0x10D4A, 0x10D65},
    {0x10D6F, 0x10D85}, {0x10EC2, 0x10EC4}, {0x11380, 0x11389}, {0x1138B, 0x1138B}, {0x1138E, 0x1138E},
    {0x11390, 0x113B5}, {0x113B7, 0x113B7}, {0x113D1, 0x113D1}, {0x113D3, 0x113D3}, {0x11BC0, 0x11BE0},
    {0x13460, 0x143FA}, {0x16100, 0x1611D}, {0x16D40, 0x16D6C}, {0x18CFF, 0x18CFF}, {0x1E5D0, 0x1E5ED},
    {0x1E5F0, 0x1E5F0}, {0x2EBF0, 0x2EE5D},
};

constexpr Range unicode16_numbers[] = {
    {0x10D40, 0x10D49}, {0x116D0, 0x116E3}, {0x11BF0, 0x11BF9}, {0x16130, 0x16139},
    {0x16D70, 0x16D79}, {0x1CCF0, 0x1CCF9}, {0x1E5F1, 0x1E5FA},
};

constexpr Range nfc_inert_in_hf[] = {
    {0x07FD, 0x07FD},   {0x0898, 0x089F},   {0x08CA, 0x08D3},   {0x09FE, 0x09FE},   {0x0C3C, 0x0C3C},
    {0x0D3B, 0x0D3C},   {0x0EBA, 0x0EBA},   {0x1715, 0x1715},   {0x1ABF, 0x1ACE},   {0x1DF6, 0x1DFA},
    {0xA82C, 0xA82C},   {0x10D24, 0x10D27}, {0x10EAB, 0x10EAC}, {0x10EFD, 0x10EFF}, {0x10F46, 0x10F50},
    {0x10F82, 0x10F85}, {0x11070, 0x11070}, {0x1133B, 0x1133B}, {0x1145E, 0x1145E}, {0x11839, 0x1183A},
    {0x11930, 0x11930}, {0x11935, 0x11935}, {0x11938, 0x11938}, {0x1193D, 0x1193E}, {0x11943, 0x11943},
    {0x119E0, 0x119E0}, {0x11A34, 0x11A34}, {0x11A47, 0x11A47}, {0x11A99, 0x11A99}, {0x11D42, 0x11D42},
    {0x11D44, 0x11D45}, {0x11D97, 0x11D97}, {0x11F41, 0x11F42}, {0x16FF0, 0x16FF1}, {0x1E08F, 0x1E08F},
    {0x1E130, 0x1E136}, {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF}, {0x1E4EC, 0x1E4EF},
};

// Capitals of Unicode 16.0 and 17.0 and their lowercase forms (single code points); the two ranges of
// capitals are in rust_lowercase_exception.
struct CasePair {
    char32_t upper, lower;
};
constexpr CasePair recent_case_pairs[] = {
    {0x1C89, 0x1C8A}, {0xA7CB, 0x0264}, {0xA7CC, 0xA7CD}, {0xA7CE, 0xA7CF}, {0xA7D2, 0xA7D3},
    {0xA7D4, 0xA7D5}, {0xA7DA, 0xA7DB}, {0xA7DC, 0x019B},
};

}  // namespace

bool is_unicode16_letter(char32_t cp) noexcept { return in_ranges(unicode16_letters, cp); }
bool is_unicode16_number(char32_t cp) noexcept { return in_ranges(unicode16_numbers, cp); }
bool is_nfc_inert_in_hf(char32_t cp) noexcept { return in_ranges(nfc_inert_in_hf, cp); }

int rust_lowercase_exception(char32_t cp, char32_t out[2]) noexcept {
    if (cp == 0x0130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE: "i" + COMBINING DOT ABOVE (SpecialCasing)
        out[0] = 0x0069;
        out[1] = 0x0307;
        return 2;
    }
    if (cp >= 0x10D50 && cp <= 0x10D65) {  // Garay (Unicode 16.0)
        out[0] = cp + 0x20;
        return 1;
    }
    if (cp >= 0x16EA0 && cp <= 0x16EB8) {  // Unicode 17.0
        out[0] = cp + 0x1B;
        return 1;
    }
    for (const CasePair& p : recent_case_pairs) {
        if (p.upper == cp) {
            out[0] = p.lower;
            return 1;
        }
    }
    return 0;
}

}  // namespace edgembed::hf_unicode
