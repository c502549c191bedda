#include "runtime/tokenizer/json_score.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace edgembed {

namespace {

// serde_json's POW10 table: the literals 1e0 .. 1e308, each the nearest double.
const std::array<double, 309>& pow10() {
    static const std::array<double, 309> table = [] {
        std::array<double, 309> t{};
        for (int e = 0; e <= 308; ++e) t[e] = std::strtod(("1e" + std::to_string(e)).c_str(), nullptr);
        return t;
    }();
    return table;
}

// serde_json's f64_from_parts (de.rs, not float_roundtrip): significand as f64, times or over 10^|exp|.
double from_parts(bool positive, uint64_t significand, int exponent) {
    double f = static_cast<double>(significand);
    for (;;) {
        const int e = exponent < 0 ? -exponent : exponent;
        if (e <= 308) {
            const double pow = pow10()[static_cast<std::size_t>(e)];
            if (exponent >= 0) {
                f *= pow;
                if (std::isinf(f)) return positive ? f : -f;  // serde refuses it; a score never is
            } else {
                f /= pow;
            }
            break;
        }
        if (f == 0.0) break;
        if (exponent >= 0) return positive ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
        f /= 1e308;
        exponent += 308;
    }
    return positive ? f : -f;
}

// overflow!(significand * 10 + digit, u64::MAX)
bool overflows(uint64_t significand, uint64_t digit) {
    constexpr uint64_t max = std::numeric_limits<uint64_t>::max();
    return significand >= max / 10 && (significand > max / 10 || digit > max % 10);
}

}  // namespace

double serde_json_number(std::string_view text) {
    std::size_t i = 0;
    const bool positive = !(i < text.size() && text[i] == '-');
    if (!positive) ++i;
    auto digit = [&](std::size_t at) { return at < text.size() && text[at] >= '0' && text[at] <= '9'; };
    if (!digit(i)) return 0.0;
    uint64_t significand = 0;
    int exponent = 0;
    bool overflowed = false;
    // Integer part: digits past u64's range only raise the exponent (parse_long_integer).
    for (; digit(i); ++i) {
        const uint64_t d = static_cast<uint64_t>(text[i] - '0');
        if (overflowed || overflows(significand, d)) {
            overflowed = true;
            ++exponent;
        } else {
            significand = significand * 10 + d;
        }
    }
    bool is_float = false;
    // Fraction: digits past u64's range are ignored (parse_decimal_overflow).
    if (i < text.size() && text[i] == '.') {
        is_float = true;
        for (++i; digit(i); ++i) {
            const uint64_t d = static_cast<uint64_t>(text[i] - '0');
            if (overflowed || overflows(significand, d)) {
                overflowed = true;
            } else {
                significand = significand * 10 + d;
                --exponent;
            }
        }
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        is_float = true;
        ++i;
        bool positive_exp = true;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) positive_exp = text[i++] == '+';
        int exp = 0;
        for (; digit(i); ++i) exp = exp > 100000 ? exp : exp * 10 + (text[i] - '0');
        exponent += positive_exp ? exp : -exp;
    }
    if (!is_float && !overflowed) {
        // U64 / I64: exact integers, converted with `as f64`.
        return positive ? static_cast<double>(significand) : -static_cast<double>(significand);
    }
    return from_parts(positive, significand, exponent);
}

double hf_json_score(float score) {
    char buf[64];
    const auto result = std::to_chars(buf, buf + sizeof buf, static_cast<double>(score), std::chars_format::scientific);
    return serde_json_number(std::string_view(buf, static_cast<std::size_t>(result.ptr - buf)));
}

}  // namespace edgembed
