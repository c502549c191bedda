// The model-file loader on arbitrary bytes, twice: ModelFile::from_memory without the checksum (so
// mutations reach the metadata JSON and the tensor table), then Model::load_from_memory with the
// checksum recomputed (so they reach the config validation and the encoder's tensor checks) and, when
// the model loads, one embedding. Only edgembed::Error may escape; any crash, sanitizer report or
// other exception is a finding. Seeds: fuzz/corpus/model_file (tiny models, see fuzz/make_tiny_model.cpp).

#include <cstddef>
#include <cstring>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "runtime/context.h"
#include "runtime/model.h"
#include "runtime/model_file/checksum.h"
#include "runtime/model_file/format.h"
#include "runtime/model_file/reader.h"

using namespace edgembed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        auto file = model_file::ModelFile::from_memory(data, size, /*verify_checksum=*/false);
        for (const auto& [name, view] : file->tensors()) {
            FUZZ_CHECK(view.nbytes == static_cast<uint64_t>(view.elements()) * dtype_size(view.dtype), name);
            FUZZ_CHECK(view.nbytes <= size, name);
            // Touch every byte: the views point into the loader's heap copy, so ASan sees any overrun.
            const auto* bytes = static_cast<const uint8_t*>(view.data);
            uint8_t x = 0;
            for (uint64_t i = 0; i < view.nbytes; ++i) x ^= bytes[i];
            volatile uint8_t sink = x;
            (void)sink;
        }
    } catch (const Error& e) {
        fuzz::refused(e);
    }

    if (size < model_file::kHeaderSize) return 0;
    std::vector<uint8_t> copy(data, data + size);
    const uint64_t checksum = model_file::header_checksum(copy.data(), size);
    std::memcpy(copy.data() + offsetof(model_file::FileHeader, checksum), &checksum, sizeof checksum);
    try {
        std::shared_ptr<const Model> model = Model::load_from_memory(copy.data(), copy.size());
        Context context(model);
        const std::vector<std::string_view> texts = {"the cat, embedding \xE4\xB8\xAD \xC3\xA9!", ""};
        std::vector<float> out(texts.size() * static_cast<size_t>(model->dimension()));
        context.embed(texts, EmbedOptions{}, out.data());
    } catch (const Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
