#include "tools/convert/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "base/error.h"

namespace edgembed::convert {

namespace {

bool source_dtype_from_safetensors(const std::string& name, SourceDType* out) {
    if (name == "F32") { *out = SourceDType::f32; return true; }
    if (name == "F16") { *out = SourceDType::f16; return true; }
    if (name == "BF16") { *out = SourceDType::bf16; return true; }
    if (name == "I64") { *out = SourceDType::i64; return true; }
    return false;
}

struct Entry {
    std::string name;
    SourceDType dtype;
    std::vector<int64_t> shape;
    uint64_t begin, end;
};

}  // namespace

TensorSet read_safetensors(const std::string& path) {
    const uint8_t* bytes = nullptr;
    size_t size = 0;
    std::shared_ptr<const void> mapping = map_file(path, &bytes, &size);
    return parse_safetensors(bytes, size, base_name(path), std::move(mapping));
}

TensorSet parse_safetensors(const uint8_t* bytes, size_t size, const std::string& file,
                            std::shared_ptr<const void> mapping) {
    auto fail = [&](const std::string& what) -> Error { return Error(Status::invalid_checkpoint, file + ": " + what); };

    if (size < 8) throw fail("truncated: " + std::to_string(size) + " bytes, not even a header length");
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | bytes[i];
    if (header_size > kMaxSafetensorsHeaderBytes)
        throw fail("header length " + std::to_string(header_size) + " exceeds the limit of " +
                   std::to_string(kMaxSafetensorsHeaderBytes) + " bytes");
    if (header_size > size - 8)
        throw fail("truncated: the header needs " + std::to_string(header_size) + " bytes, the file has " +
                   std::to_string(size - 8) + " after the length field");
    const uint8_t* data = bytes + 8 + header_size;
    const uint64_t data_size = size - 8 - header_size;

    // Parse, rejecting duplicate top-level names (nlohmann would keep the last one silently).
    std::set<std::string> names;
    std::string duplicate;
    nlohmann::json::parser_callback_t on_event = [&](int depth, nlohmann::json::parse_event_t event,
                                                     nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string() &&
            !names.insert(parsed.get<std::string>()).second && duplicate.empty())
            duplicate = parsed.get<std::string>();
        return true;
    };
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(bytes + 8, bytes + 8 + header_size, on_event);
    } catch (const nlohmann::json::exception& e) {
        throw fail(std::string("header is not valid JSON (") + e.what() + ")");
    }
    if (!header.is_object()) throw fail("header is not a JSON object");
    if (!duplicate.empty()) throw fail("tensor '" + duplicate + "' is listed twice in the header");

    std::vector<Entry> entries;
    for (const auto& [name, info] : header.items()) {
        if (name == "__metadata__") continue;
        const std::string what = "tensor '" + name + "'";
        if (!info.is_object()) throw fail(what + ": header entry is not an object");
        for (const char* key : {"dtype", "shape", "data_offsets"})
            if (!info.contains(key)) throw fail(what + ": header entry has no '" + key + "'");
        Entry e;
        e.name = name;
        const auto& dtype = info.at("dtype");
        if (!dtype.is_string()) throw fail(what + ": dtype is not a string");
        if (!source_dtype_from_safetensors(dtype.get<std::string>(), &e.dtype))
            throw fail(what + " has unsupported dtype '" + dtype.get<std::string>() + "' (accepted: F32, F16, BF16, I64)");
        const auto& shape = info.at("shape");
        if (!shape.is_array() || shape.size() > kMaxSafetensorsRank)
            throw fail(what + ": shape must be an array of at most " + std::to_string(kMaxSafetensorsRank) + " integers");
        for (const auto& d : shape) {
            if (!d.is_number_unsigned()) throw fail(what + ": shape has a dimension that is not a non-negative integer");
            e.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(d.get<uint64_t>(), uint64_t{1} << 62)));
        }
        const auto& offsets = info.at("data_offsets");
        if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
            !offsets[1].is_number_unsigned())
            throw fail(what + ": data_offsets must be two non-negative integers");
        e.begin = offsets[0].get<uint64_t>();
        e.end = offsets[1].get<uint64_t>();
        if (e.begin > e.end || e.end > data_size)
            throw fail(what + " has data_offsets [" + std::to_string(e.begin) + "," + std::to_string(e.end) +
                       "] outside the data section of " + std::to_string(data_size) + " bytes");
        const uint64_t count = element_count(e.shape, file + ": " + what);
        const uint64_t esize = source_dtype_size(e.dtype);
        if (count > (e.end - e.begin) / esize + 1 || count * esize != e.end - e.begin)
            throw fail(what + " has shape " + shape_string(e.shape) + " of " + dtype.get<std::string>() + " (" +
                       std::to_string(count) + " elements) but data_offsets span " + std::to_string(e.end - e.begin) +
                       " bytes");
        entries.push_back(std::move(e));
    }

    // Overlaps: sort by start, compare each non-empty tensor with the furthest end seen so far.
    std::vector<const Entry*> order;
    for (const Entry& e : entries)
        if (e.end > e.begin) order.push_back(&e);
    std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
    const Entry* reach = nullptr;
    for (const Entry* e : order) {
        if (reach && e->begin < reach->end)
            throw fail("tensors '" + reach->name + "' and '" + e->name + "' overlap in the data section");
        if (!reach || e->end > reach->end) reach = e;
    }

    TensorSet set;
    for (Entry& e : entries)
        set.add({std::move(e.name), e.dtype, std::move(e.shape), data + e.begin, static_cast<size_t>(e.end - e.begin), file});
    if (mapping) set.keep_alive(std::move(mapping));
    return set;
}

}  // namespace edgembed::convert
