// The Hugging Face directory readers (tools/convert/hf_checkpoint.h: config.json, vocab.txt, the
// tokenizer JSON files, the sentence-transformers modules, Dense modules and prompts) on arbitrary file contents. The input is the
// files' contents separated by kSeparator, in the order of kFiles; a missing or empty part leaves that
// file out. They are written to a scratch directory and read with read_hf_checkpoint. When it accepts
// them, the config must pass validate() or throw Error, and the tokenizer built from it must encode.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "fuzz/fuzz_util.h"
#include "runtime/model_config.h"
#include "runtime/tokenizer/tokenizer.h"
#include "tools/convert/hf_checkpoint.h"

using namespace edgembed;
using namespace edgembed::convert;

namespace {

constexpr std::string_view kSeparator = "#EDGEMBED-FILE#";
constexpr const char* kFiles[] = {"config.json",         "vocab.txt",    "tokenizer.json",
                                  "tokenizer_config.json", "special_tokens_map.json", "modules.json",
                                  "1_Pooling/config.json", "sentence_bert_config.json", "2_Dense/config.json",
                                  "3_Dense/config.json",   "config_sentence_transformers.json"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::vector<std::string_view> parts = fuzz::split(input, kSeparator);
    const std::string dir = fuzz::scratch_dir() + "/hf";
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    std::filesystem::create_directories(dir);
    for (size_t i = 0; i < std::size(kFiles) && i < parts.size(); ++i)
        if (!parts[i].empty()) fuzz::write_file(dir + "/" + kFiles[i], parts[i]);

    try {
        const HfCheckpoint checkpoint = read_hf_checkpoint(dir, [](const std::string&) {});
        validate(checkpoint.config);
        const Tokenizer tokenizer(checkpoint.config.tokenizer);
        const std::vector<int32_t> ids = tokenizer.encode("Hello, world! [SEP] \xC3\xA9t\xC3\xA9 \xE4\xB8\xAD", 16);
        FUZZ_CHECK(ids.size() >= 2 && ids.size() <= 16, "encode");
    } catch (const Error& e) {
        fuzz::refused(e);
    }
    return 0;
}
