// Model files written before model families (tests/fixtures/README.md) keep loading, and embed as the
// release that wrote them did.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/context.h"

namespace edgembed {
namespace {

std::vector<std::string> lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

class LegacyModelFile : public ::testing::TestWithParam<const char*> {};

TEST_P(LegacyModelFile, LoadsAndEmbedsAsItsReleaseDid) {
    const std::string base = std::string(EDGEMBED_SOURCE_DIR) + "/tests/fixtures/bert_tiny_rev1.";
    const auto model = Model::load(base + GetParam() + ".edgembed");
    EXPECT_EQ(model->file().format_version(), 1u);  // the whole-file checksum, no tensor sums
    EXPECT_EQ(model->config().architecture, "bert");
    EXPECT_EQ(model->config().layout_revision, 1);
    EXPECT_EQ(model->tokenizer().prefix(), std::vector<int32_t>{2});  // [CLS]
    EXPECT_EQ(model->tokenizer().suffix(), std::vector<int32_t>{3});  // [SEP]
    const std::vector<std::string> texts = lines(base + "texts.txt");
    const std::vector<std::string> expected = lines(base + GetParam() + ".vectors.jsonl");
    ASSERT_EQ(texts.size(), expected.size());
    std::vector<std::string_view> views(texts.begin(), texts.end());
    Context context(model);
    std::vector<float> out(texts.size() * static_cast<size_t>(model->dimension()));
    context.embed(views, EmbedOptions{}, out.data());
    // The vectors were written on x86-64 with AVX-512 (and bf16 attention for int8); other ISAs round
    // differently, within each dtype's bound against f32 (README "Fidelity").
    const double bound = std::string(GetParam()) == "f32" ? 0.99999 : 0.98;
    for (size_t i = 0; i < texts.size(); ++i) {
        const std::vector<float> want = nlohmann::json::parse(expected[i]).get<std::vector<float>>();
        ASSERT_EQ(want.size(), static_cast<size_t>(model->dimension()));
        double dot = 0, nw = 0, no = 0;
        for (size_t j = 0; j < want.size(); ++j) {
            const double o = out[i * want.size() + j];
            dot += o * want[j];
            nw += static_cast<double>(want[j]) * want[j];
            no += o * o;
        }
        EXPECT_GE(dot / std::sqrt(nw * no), bound) << "text " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LegacyModelFile, ::testing::Values("f32", "int8"));

}  // namespace
}  // namespace edgembed
