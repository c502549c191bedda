// Tests of the header-only C++ wrapper (runtime/include/edgembed.hpp) over the shared library:
// RAII and moves, exceptions with their status, threads sharing one model.
// Usage: test_cpp_wrapper [gtest flags] MODEL
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "edgembed.hpp"

namespace {

std::string g_model_path;

TEST(CppWrapper, LoadErrorThrowsWithStatus) {
    try {
        edgembed::Model::load("/nonexistent/model.edgembed");
        FAIL() << "no exception";
    } catch (const edgembed::Exception& e) {
        EXPECT_EQ(e.status(), EDGEMBED_FILE_NOT_FOUND);
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.edgembed"), std::string::npos) << e.what();
        EXPECT_STREQ(e.status_string(), "file not found");
    }
}

TEST(CppWrapper, InfoEmbedTokenize) {
    edgembed::Model model = edgembed::Model::load(g_model_path);
    const edgembed::ModelInfo info = model.info();
    EXPECT_EQ(info.dimension, 384);
    EXPECT_EQ(info.architecture, "bert");
    EXPECT_EQ(info.weight_dtype, "f32");
    edgembed::Context context(model);
    EXPECT_EQ(context.dimension(), 384u);

    const std::vector<float> batch = context.embed({"edgembed runs on phones.", "A second text."});
    ASSERT_EQ(batch.size(), 2u * 384u);
    const std::vector<float> single = context.embed(std::string_view("A second text."));
    ASSERT_EQ(single.size(), 384u);
    for (size_t i = 0; i < 384; ++i) EXPECT_EQ(batch[384 + i], single[i]) << i;  // bit-identical, as test_c_api.c

    const std::vector<int32_t> ids = context.tokenize("edgembed runs on phones.");
    ASSERT_GE(ids.size(), 3u);
    EXPECT_EQ(ids.front(), 101);
    EXPECT_EQ(ids.back(), 102);
    EXPECT_EQ(context.tokenize("edgembed runs on phones.", 3).size(), 3u);

    try {
        context.embed(std::string_view("bad \xff byte"));
        FAIL() << "no exception";
    } catch (const edgembed::Exception& e) {
        EXPECT_EQ(e.status(), EDGEMBED_INVALID_UTF8);
    }
    edgembed::EmbedParams params;
    params.max_length = 100000;
    EXPECT_THROW(context.embed(std::string_view("x"), params), edgembed::Exception);
    std::vector<float> small(10);
    EXPECT_THROW(context.embed({std::string_view("x")}, small.data(), small.size()), edgembed::Exception);
}

TEST(CppWrapper, PromptsAndTokenIds) {
    edgembed::Model model = edgembed::Model::load(g_model_path);
    EXPECT_TRUE(model.prompts().empty());
    EXPECT_EQ(model.info().default_prompt_name, "");
    edgembed::Context context(model);
    edgembed::EmbedParams params;
    params.prompt = "query: ";
    EXPECT_EQ(context.embed("a text", params), context.embed("query: a text"));
    params.prompt.reset();
    params.prompt_name = "query";
    try {
        context.embed("a text", params);
        ADD_FAILURE() << "an unknown prompt name embedded";
    } catch (const edgembed::Exception& e) {
        EXPECT_EQ(e.status(), EDGEMBED_INVALID_ARGUMENT);
        EXPECT_NE(std::string(e.what()).find("unknown prompt name 'query'"), std::string::npos) << e.what();
    }
    std::vector<int32_t> ids = context.tokenize("a text");
    const std::vector<float> from_ids = context.embed_tokens({std::vector<int32_t>(ids.begin() + 1, ids.end() - 1)});
    const std::vector<float> from_text = context.embed("a text");
    ASSERT_EQ(from_ids.size(), from_text.size());
    for (size_t i = 0; i < from_ids.size(); ++i) EXPECT_NEAR(from_ids[i], from_text[i], 1e-6f);
}

TEST(CppWrapper, MovesAndLifetimes) {
    edgembed::Model model = edgembed::Model::load(g_model_path);
    edgembed::Model moved = std::move(model);
    EXPECT_THROW(model.info(), edgembed::Exception);  // moved-from
    EXPECT_EQ(moved.dimension(), 384);

    edgembed::Context context(moved);
    const std::vector<float> before = context.embed(std::string_view("hello"));
    { edgembed::Model gone = std::move(moved); }  // the context keeps the weights alive
    edgembed::Context other = std::move(context);
    EXPECT_EQ(other.embed(std::string_view("hello")), before);
    context = std::move(other);
    EXPECT_EQ(context.embed(std::string_view("hello")), before);
}

TEST(CppWrapper, ThreadsShareOneModel) {
    const edgembed::Model model = edgembed::Model::load(g_model_path);
    const std::vector<std::string> texts = {"first text", "second text", "third, somewhat longer text"};
    edgembed::EmbedParams params;
    params.threads = 1;
    const std::vector<float> expected = edgembed::Context(model).embed(texts, params);
    std::vector<std::vector<float>> results(4);
    std::vector<std::thread> threads;
    for (auto& result : results)
        threads.emplace_back([&] {
            edgembed::Context context(model);
            for (int i = 0; i < 3; ++i) result = context.embed(texts, params);
        });
    for (auto& t : threads) t.join();
    for (const auto& result : results) EXPECT_EQ(result, expected);
}

TEST(CppWrapper, Version) {
    EXPECT_EQ(edgembed::version(), std::to_string(EDGEMBED_VERSION_MAJOR) + "." + std::to_string(EDGEMBED_VERSION_MINOR) +
                                       "." + std::to_string(EDGEMBED_VERSION_PATCH));
    EXPECT_FALSE(edgembed::active_isa().empty());
    EXPECT_THROW(edgembed::set_isa_cap("nope"), edgembed::Exception);
}

}  // namespace

int main(int argc, char** argv) {
    testing::InitGoogleTest(&argc, argv);
    if (argc > 1) g_model_path = argv[1];
    return RUN_ALL_TESTS();
}
