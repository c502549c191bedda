// End-to-end tests of the converter pipeline (tools/convert/convert.h) on tiny fake checkpoints
// generated in a temporary directory: the success paths round-trip the tensor bytes, and every
// refusal checks its status and message and that nothing was written.
#include "tools/convert/convert.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "base/error.h"
#include "runtime/context.h"
#include "runtime/models/family.h"
#include "tools/convert/quantize.h"
#include "tests/tools/test_convert_util.h"

namespace edgembed::convert {
namespace {

using namespace edgembed::convert::testing;

// The contents of a stored tokenizer's added tokens, in order.
json added_token_contents(const json& tokenizer) {
    json out = json::array();
    for (const json& a : tokenizer["added_tokens"]) out.push_back(a["content"]);
    return out;
}

struct Conversion {
    TempDir dir;
    TempDir out_dir;
    std::vector<std::string> notes;

    std::string out() const { return out_dir / "model.edgembed"; }

    ConvertOptions options() {
        ConvertOptions o;
        o.hf_dir = dir.path().string();
        o.out_file = out();
        o.note = [this](const std::string& n) { notes.push_back(n); };
        return o;
    }
    ConvertSummary convert() { return edgembed::convert::convert(options()); }

    bool noted(const std::string& fragment) const {
        for (const std::string& n : notes)
            if (n.find(fragment) != std::string::npos) return true;
        return false;
    }
};

// Runs a conversion that must fail; checks the status, that the message contains `fragment`, and that
// the output directory is still empty (no OUT_FILE, no temporary file).
void expect_refusal(Conversion& run, const ConvertOptions& options, Status status, const std::string& fragment) {
    try {
        convert(options);
        ADD_FAILURE() << "conversion succeeded, expected: " << fragment;
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), status) << e.what();
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what() << "\nexpected: " << fragment;
    }
    EXPECT_TRUE(list_dir(run.out_dir.path()).empty()) << "a failed conversion left files behind";
}
void expect_refusal(Conversion& run, Status status, const std::string& fragment) { expect_refusal(run, run.options(), status, fragment); }

void expect_weights_equal(const TinyModel& model, const ModelFileContents& file) {
    const auto weights = model.weights();
    const auto specs = models::tensor_specs(model.model_config());
    ASSERT_EQ(file.order.size(), specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
        const std::string& name = specs[i].name;
        EXPECT_EQ(file.order[i], name);
        EXPECT_EQ(file.dtypes.at(name), "f32");
        EXPECT_EQ(file.shapes.at(name), specs[i].shape) << name;
        ASSERT_EQ(file.f32.at(name).size(), weights.at(name).size()) << name;
        EXPECT_EQ(std::memcmp(file.f32.at(name).data(), weights.at(name).data(), weights.at(name).size() * 4), 0) << name;
    }
}

// --- success paths -------------------------------------------------------------------------------

class ConvertPrefix : public ::testing::TestWithParam<const char*> {};

TEST_P(ConvertPrefix, RoundTripsTensorsAndConfig) {
    Conversion run;
    TinyModel model;
    model.prefix = GetParam();
    model.write(run.dir);
    const ConvertSummary summary = run.convert();

    const ModelFileContents file = read_model_file(run.out());
    expect_weights_equal(model, file);
    EXPECT_EQ(summary.tensor_count, file.order.size());
    EXPECT_GT(summary.file_size, 0u);
    EXPECT_EQ(summary.weights, "model.safetensors");

    const json& c = file.config;
    EXPECT_EQ(c["architecture"], "bert");
    EXPECT_EQ(c["weight_dtype"], "f32");
    EXPECT_EQ(c["hidden_size"], 8);
    EXPECT_EQ(c["num_layers"], 2);
    EXPECT_EQ(c["num_heads"], 2);
    EXPECT_EQ(c["intermediate_size"], 16);
    EXPECT_EQ(c["max_position_embeddings"], 16);
    EXPECT_EQ(c["vocab_size"], 24);
    EXPECT_EQ(c["pooling"], "mean");
    EXPECT_EQ(c["normalize"], true);
    EXPECT_EQ(c["max_seq_length"], 12);
    EXPECT_EQ(c["default_temperature"], 1.0);
    EXPECT_EQ(c["source"], run.dir.path().filename().string() + " (tests/tiny-bert)");
    const json& t = c["tokenizer"];
    EXPECT_EQ(t["type"], "wordpiece");
    EXPECT_EQ(t["wordpiece"]["vocab"], model.vocab());
    EXPECT_EQ(t["wordpiece"]["lowercase"], true);
    EXPECT_EQ(t["wordpiece"]["strip_accents"], true);
    EXPECT_EQ(added_token_contents(t), json({"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"}));
    const std::vector<std::string> vocab = model.vocab();
    const auto id = [&](const std::string& token) { return std::find(vocab.begin(), vocab.end(), token) - vocab.begin(); };
    EXPECT_EQ(t["prefix"], json({id("[CLS]")}));
    EXPECT_EQ(t["suffix"], json({id("[SEP]")}));
    EXPECT_EQ(t["pad_id"], id("[PAD]"));
}

INSTANTIATE_TEST_SUITE_P(Prefixes, ConvertPrefix, ::testing::Values("", "bert.", "0.auto_model.", "model."));

// One text's vector from a model file, through the runtime.
std::vector<float> embed_one(const std::string& path, const std::string& text) {
    const std::shared_ptr<const Model> model = Model::load(path);
    Context context(model);
    std::vector<float> out(static_cast<size_t>(model->dimension()));
    context.embed({text}, EmbedOptions{}, out.data());
    return out;
}

// A sentence-transformers Dense module (bias, Tanh) after pooling: stored (layout revision 3; its weight in f16 in an f16
// file) and applied to the pooled vector before normalization: tanh(W v + b) of the same folder's vector without it.
TEST(Convert, DenseModuleAfterPooling) {
    Conversion plain, dense;
    TinyModel model;
    model.normalize = false;
    model.write(plain.dir);
    plain.convert();
    model.write(dense.dir);
    json modules = json::parse(read_file(dense.dir / "modules.json"));
    modules.push_back({{"idx", 2}, {"name", "2"}, {"path", "2_Dense"}, {"type", "sentence_transformers.models.Dense"}});
    write_file(dense.dir / "modules.json", modules.dump());
    write_file(dense.dir / "2_Dense/config.json", json{{"in_features", 8}, {"out_features", 5}, {"bias", true},
                                                       {"activation_function", "torch.nn.modules.activation.Tanh"}}.dump());
    std::vector<float> w(5 * 8), b(5);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(static_cast<int>(i * 7 % 11) - 5) * 0.125f;
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i) * 0.0625f - 0.125f;
    write_file(dense.dir / "2_Dense/model.safetensors",
               safetensors_bytes({{"linear.weight", "F32", {5, 8}, std::string(reinterpret_cast<const char*>(w.data()), w.size() * 4)},
                                  {"linear.bias", "F32", {5}, std::string(reinterpret_cast<const char*>(b.data()), b.size() * 4)}}));
    const ConvertSummary summary = dense.convert();
    EXPECT_EQ(summary.config.output_dimension(), 5);
    const ModelFileContents file = read_model_file(dense.out());
    EXPECT_EQ(file.config["layout_revision"], models::kDenseModulesRevision);
    EXPECT_EQ(file.config["dense"], json::parse(R"([{"in_features":8,"out_features":5,"bias":true,"activation":"tanh"}])"));
    EXPECT_EQ(file.dtypes.at("dense.0.weight"), "f32");

    const std::vector<float> pooled = embed_one(plain.out(), "hello world");
    const std::vector<float> projected = embed_one(dense.out(), "hello world");
    ASSERT_EQ(pooled.size(), 8u);
    ASSERT_EQ(projected.size(), 5u);
    for (size_t r = 0; r < 5; ++r) {
        double sum = b[r];
        for (size_t c = 0; c < 8; ++c) sum += static_cast<double>(w[r * 8 + c]) * pooled[c];
        EXPECT_NEAR(projected[r], std::tanh(sum), 1e-5) << r;
    }

    ConvertOptions f16 = dense.options();
    f16.dtype = "f16";
    f16.out_file = dense.out_dir / "model.f16.edgembed";
    convert(f16);
    EXPECT_EQ(read_model_file(f16.out_file).dtypes.at("dense.0.weight"), "f16");
    EXPECT_EQ(read_model_file(f16.out_file).dtypes.at("dense.0.bias"), "f32");
}

TEST(Convert, OldNamesIgnoredAndUnknownTensors) {
    Conversion run;
    TinyModel model;
    model.prefix = "bert.";
    model.old_layer_norm_names = true;
    model.extra_tensors = {
        {"bert.pooler.dense.weight", "F32", {8, 8}, std::string(8 * 8 * 4, '\0')},
        {"bert.pooler.dense.bias", "F32", {8}, std::string(8 * 4, '\0')},
        {"cls.predictions.bias", "F32", {24}, std::string(24 * 4, '\0')},
        {"bert.embeddings.position_ids", "I64", {1, 16}, std::string(16 * 8, '\0')},
        {"something.else", "F32", {2}, std::string(2 * 4, '\0')},
    };
    model.write(run.dir);
    run.convert();
    expect_weights_equal(model, read_model_file(run.out()));
    EXPECT_TRUE(run.noted("ignoring 2 tensors pooler.*"));
    EXPECT_TRUE(run.noted("ignoring 1 tensor cls.*"));
    EXPECT_TRUE(run.noted("ignoring 1 tensor embeddings.position_ids (index buffer)"));
    EXPECT_TRUE(run.noted("ignoring 1 unknown tensor: something.else"));
}

class ConvertSourceDType : public ::testing::TestWithParam<const char*> {};

TEST_P(ConvertSourceDType, WidensToF32) {
    Conversion run;
    TinyModel model;
    model.dtype = GetParam();
    model.write(run.dir);
    run.convert();
    expect_weights_equal(model, read_model_file(run.out()));  // the test values are exact in f16 and bf16
}

INSTANTIATE_TEST_SUITE_P(DTypes, ConvertSourceDType, ::testing::Values("F32", "F16", "BF16"));

TEST(Convert, ShardedSafetensors) {
    Conversion run;
    TinyModel model;
    model.shards = 3;
    model.write(run.dir);
    const ConvertSummary summary = run.convert();
    expect_weights_equal(model, read_model_file(run.out()));
    EXPECT_EQ(summary.weights, "3 shards of model.safetensors.index.json");
}

TEST(Convert, ShardIndexNamingAMissingTensorIsRefused) {
    Conversion run;
    TinyModel model;
    model.shards = 2;
    model.write(run.dir);
    json index = json::parse(read_file(run.dir / "model.safetensors.index.json"));
    index["weight_map"]["ghost.weight"] = "model-00001-of-00002.safetensors";
    write_file(run.dir / "model.safetensors.index.json", index.dump());
    expect_refusal(run, Status::invalid_checkpoint, "tensor 'ghost.weight' is not in its shard 'model-00001-of-00002.safetensors'");
}

TEST(Convert, TokenizerJsonSettings) {
    Conversion run;
    TinyModel model;
    model.tokenizer_json = true;
    model.write(run.dir);
    run.convert();
    const json t = read_model_file(run.out()).config["tokenizer"];
    const json w = t["wordpiece"];
    EXPECT_EQ(w["lowercase"], false);
    EXPECT_EQ(w["strip_accents"], false);  // null follows lowercase
    EXPECT_EQ(w["handle_chinese_chars"], false);
    EXPECT_EQ(w["clean_text"], true);
    EXPECT_EQ(w["max_input_chars_per_word"], 50);
    EXPECT_EQ(added_token_contents(t), json({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "edge"}));
    EXPECT_EQ(t["added_tokens"][5]["normalized"], true);  // matched after normalization
    for (int i = 0; i < 5; ++i) EXPECT_EQ(t["added_tokens"][i]["normalized"], false);
    EXPECT_TRUE(run.noted("added token 'edge' has normalized=true: matched after normalization"));
}

TEST(Convert, TokenizerJsonDisagreeingWithVocabIsRefused) {
    Conversion run;
    TinyModel model;
    model.tokenizer_json = true;
    model.write(run.dir);
    json tok = json::parse(read_file(run.dir / "tokenizer.json"));
    tok["model"]["vocab"]["hello"] = 6;
    tok["model"]["vocab"]["world"] = 5;
    write_file(run.dir / "tokenizer.json", tok.dump());
    expect_refusal(run, Status::invalid_checkpoint, "disagree about the token");
}

TEST(Convert, PlainHuggingFaceCheckpoint) {
    Conversion run;
    TinyModel model;
    model.sentence_transformers = false;
    model.write(run.dir);
    run.convert();
    const json c = read_model_file(run.out()).config;
    EXPECT_EQ(c["pooling"], "mean");
    EXPECT_EQ(c["normalize"], false);
    EXPECT_EQ(c["max_seq_length"], 16);  // model_max_length 512 capped at max_position_embeddings
    EXPECT_TRUE(run.noted("no modules.json"));
}

TEST(Convert, PoolingModes) {
    for (const char* mode : {"cls", "max"}) {
        Conversion run;
        TinyModel model;
        model.normalize = false;
        model.pooling["pooling_mode_mean_tokens"] = false;
        model.pooling[std::string("pooling_mode_") + (mode == std::string("cls") ? "cls_token" : "max_tokens")] = true;
        model.write(run.dir);
        run.convert();
        const json c = read_model_file(run.out()).config;
        EXPECT_EQ(c["pooling"], mode);
        EXPECT_EQ(c["normalize"], false);
    }
}

TEST(Convert, SentenceBertMaxSeqLengthIsCapped) {
    Conversion run;
    TinyModel model;
    model.sbert_max_seq_length = 40;
    model.write(run.dir);
    run.convert();
    EXPECT_EQ(read_model_file(run.out()).config["max_seq_length"], 16);
    EXPECT_TRUE(run.noted("capped at the 16 tokens the positions allow"));
}

TEST(Convert, TemperatureAndMaxSeqLengthOptions) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    ConvertOptions options = run.options();
    options.temperature = 0.05f;
    options.max_seq_length = 9;
    convert(options);
    const json c = read_model_file(run.out()).config;
    EXPECT_FLOAT_EQ(c["default_temperature"].get<float>(), 0.05f);
    EXPECT_EQ(c["max_seq_length"], 9);
}

TEST(Convert, OverwritesAnExistingOutFile) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    write_file(run.out(), "old contents");
    run.convert();
    expect_weights_equal(model, read_model_file(run.out()));
    EXPECT_EQ(list_dir(run.out_dir.path()), std::vector<std::string>{"model.edgembed"});
}

// --- option refusals -----------------------------------------------------------------------------

TEST(ConvertRefuses, UnknownDType) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    ConvertOptions options = run.options();
    options.dtype = "f64";
    expect_refusal(run, options, Status::invalid_argument, "unknown --dtype 'f64'");
}

TEST(ConvertRefuses, BadTemperature) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    for (float t : {0.0f, -1.0f, 1000.0f, std::nanf("")}) {
        ConvertOptions options = run.options();
        options.temperature = t;
        expect_refusal(run, options, Status::invalid_argument, "--temperature must be > 0");
    }
}

TEST(ConvertRefuses, MaxSeqLengthBeyondPositions) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    ConvertOptions options = run.options();
    options.max_seq_length = 17;
    expect_refusal(run, options, Status::invalid_argument, "--max-seq-length 17 must be in [2, max_position_embeddings = 16]");
}

// --- checkpoint refusals -------------------------------------------------------------------------

TEST(ConvertRefuses, MissingDirectory) {
    Conversion run;
    ConvertOptions options = run.options();
    options.hf_dir = run.dir / "nope";
    expect_refusal(run, options, Status::file_not_found, "is not a directory");
}

TEST(ConvertRefuses, MissingConfigJson) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    fs::remove(run.dir / "config.json");
    expect_refusal(run, Status::file_not_found, "no config.json in '");
}

TEST(ConvertRefuses, MissingVocab) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    fs::remove(run.dir / "vocab.txt");
    expect_refusal(run, Status::file_not_found, "no tokenizer in '");
}

TEST(ConvertRefuses, MissingWeights) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    fs::remove(run.dir / "model.safetensors");
    expect_refusal(run, Status::file_not_found, "no weights in '");
}

TEST(ConvertRefuses, UnsupportedModelType) {
    Conversion run;
    TinyModel model;
    model.config_overrides = {{"model_type", "t5"}};
    model.write(run.dir);
    expect_refusal(run, Status::unsupported_architecture,
                   "unsupported model_type 't5' (supported: bert, distilbert, gemma3_text, modernbert, mpnet, qwen3, roberta, xlm-roberta)");
}

TEST(ConvertRefuses, MissingConfigKey) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    json config = model.config();
    config.erase("hidden_size");
    write_file(run.dir / "config.json", config.dump());
    expect_refusal(run, Status::invalid_config, "config.json: missing key 'hidden_size'");
}

TEST(ConvertRefuses, MistypedConfigKey) {
    Conversion run;
    TinyModel model;
    model.config_overrides = {{"num_hidden_layers", "two"}};
    model.write(run.dir);
    expect_refusal(run, Status::invalid_config, "config.json: key 'num_hidden_layers' must be an integer");
}

TEST(ConvertRefuses, HiddenActAndPositionType) {
    {
        Conversion run;
        TinyModel model;
        model.config_overrides = {{"hidden_act", "relu"}};
        model.write(run.dir);
        expect_refusal(run, Status::unsupported_architecture, "hidden_act 'relu' is not supported");
    }
    {
        Conversion run;
        TinyModel model;
        model.config_overrides = {{"position_embedding_type", "relative_key"}};
        model.write(run.dir);
        expect_refusal(run, Status::unsupported_architecture, "position_embedding_type 'relative_key' is not supported");
    }
}

TEST(ConvertRefuses, VocabSizeMismatch) {
    Conversion run;
    TinyModel model;
    model.config_overrides = {{"vocab_size", 30}};
    model.write(run.dir);
    expect_refusal(run, Status::invalid_checkpoint, "vocab.txt has 24 tokens but config.json vocab_size is 30");
}

TEST(ConvertRefuses, PoolingMeanSqrtLen) {
    Conversion run;
    TinyModel model;
    model.pooling["pooling_mode_mean_tokens"] = false;
    model.pooling["pooling_mode_mean_sqrt_len_tokens"] = true;
    model.write(run.dir);
    expect_refusal(run, Status::unsupported_architecture, "1_Pooling/config.json: pooling mode 'mean_sqrt_len' is not supported");
}

TEST(ConvertRefuses, SeveralPoolingModes) {
    Conversion run;
    TinyModel model;
    model.pooling["pooling_mode_max_tokens"] = true;
    model.write(run.dir);
    expect_refusal(run, Status::unsupported_architecture, "combines several pooling modes (mean, max)");
}

TEST(ConvertRefuses, UnsupportedModule) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    json modules = json::parse(read_file(run.dir / "modules.json"));
    modules.insert(modules.begin() + 2, json{{"idx", 2}, {"name", "2"}, {"path", "2_WLP"}, {"type", "sentence_transformers.models.WeightedLayerPooling"}});
    write_file(run.dir / "modules.json", modules.dump());
    expect_refusal(run, Status::unsupported_architecture,
                   "module 'sentence_transformers.models.WeightedLayerPooling' (path '2_WLP') is not supported");
}

TEST(ConvertRefuses, WrongShape) {
    Conversion run;
    TinyModel model;
    model.edit = [](std::vector<StTensor>& tensors) {
        for (StTensor& t : tensors)
            if (t.name == "encoder.layer.1.intermediate.dense.weight") t.shape = {8, 16};
    };
    model.write(run.dir);
    expect_refusal(run, Status::invalid_weights, "tensor 'encoder.layer.1.intermediate.dense.weight' has shape [8,16], the config needs [16,8]");
}

void poison(std::vector<StTensor>& tensors, const std::string& name, size_t element, float value) {
    for (StTensor& t : tensors)
        if (t.name == name) std::memcpy(t.bytes.data() + 4 * element, &value, 4);
}

TEST(ConvertRefuses, NaN) {
    Conversion run;
    TinyModel model;
    model.edit = [](std::vector<StTensor>& t) { poison(t, "encoder.layer.0.attention.self.key.weight", 13, std::nanf("")); };
    model.write(run.dir);
    expect_refusal(run, Status::invalid_weights, "tensor 'encoder.layer.0.attention.self.key.weight' contains NaN at element 13");
}

TEST(ConvertRefuses, Inf) {
    Conversion run;
    TinyModel model;
    model.edit = [](std::vector<StTensor>& t) { poison(t, "embeddings.LayerNorm.bias", 7, -INFINITY); };
    model.write(run.dir);
    expect_refusal(run, Status::invalid_weights, "tensor 'embeddings.LayerNorm.bias' contains Inf at element 7");
}

TEST(ConvertRefuses, MissingTensors) {
    Conversion run;
    TinyModel model;
    model.edit = [](std::vector<StTensor>& tensors) {
        std::vector<StTensor> kept;
        for (StTensor& t : tensors)
            if (t.name != "encoder.layer.1.output.dense.bias" && t.name != "embeddings.token_type_embeddings.weight") kept.push_back(t);
        tensors = kept;
    };
    model.write(run.dir);
    expect_refusal(run, Status::invalid_weights,
                   "missing 2 of the 37 tensors the config needs: embeddings.token_type_embeddings.weight, encoder.layer.1.output.dense.bias");
}

TEST(ConvertRefuses, TwoNamesForOneTensor) {
    Conversion run;
    TinyModel model;
    model.extra_tensors = {{"bert.embeddings.LayerNorm.bias", "F32", {8}, std::string(32, '\0')}};
    model.write(run.dir);
    expect_refusal(run, Status::invalid_checkpoint, "both map to 'embeddings.LayerNorm.bias'");
}

TEST(ConvertRefuses, CorruptSafetensors) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    const std::string good = read_file(run.dir / "model.safetensors");
    write_file(run.dir / "model.safetensors", good.substr(0, good.size() / 2));
    expect_refusal(run, Status::invalid_checkpoint, "model.safetensors: tensor '");
}

TEST(ConvertRefuses, PickleWithForbiddenGlobalThroughTheDirectory) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    fs::remove(run.dir / "model.safetensors");
    // A PyTorch zip whose data.pkl calls os.system('id').
    write_torch_zip(run.dir / "pytorch_model.bin",
                    PickleBuilder().proto(2).global("os", "system").mark().str("id").op('t').op('R').stop().bytes(), {});
    expect_refusal(run, Status::invalid_checkpoint,
                   "pytorch_model.bin: refusing pickle global 'os.system' (only tensor data is accepted)");
}

TEST(ConvertRefuses, UnwritableOutputLeavesNoTemporary) {
    Conversion run;
    TinyModel model;
    model.write(run.dir);
    ConvertOptions options = run.options();
    options.out_file = run.out_dir / "missing-subdir/model.edgembed";
    expect_refusal(run, options, Status::io_error, "cannot write model file");
}

TEST(ConvertRefuses, FailureLeavesAnExistingOutFileUntouched) {
    Conversion run;
    TinyModel model;
    model.edit = [](std::vector<StTensor>& t) { poison(t, "embeddings.LayerNorm.weight", 0, std::nanf("")); };
    model.write(run.dir);
    write_file(run.out(), "previous model");
    EXPECT_THROW(run.convert(), Error);
    EXPECT_EQ(read_file(run.out()), "previous model");
    EXPECT_EQ(list_dir(run.out_dir.path()), std::vector<std::string>{"model.edgembed"});
}

// int8 with outlier channels: their columns move to an f32 tensor beside their i32 indices, and are zero
// in the int8 weight, whose per-channel scales the other columns set.
TEST(Convert, Int8OutlierChannelsMoveToF32) {
    const std::vector<float> w = {0.5f, 40.0f, -0.25f, 7.0f, 1.0f,  //
                                  -1.0f, -30.0f, 0.5f, 2.0f, 0.125f};
    auto quantized = [&](std::vector<int32_t> channels) {
        Int8Plan plan;
        plan.outlier_channels["l.weight"] = std::move(channels);
        return quantize_tensors({{"l.weight", {2, 5}, true, w}}, WeightFormat::int8, plan);
    };
    const std::vector<OutputTensor> out = quantized({1, 3});
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].name, "l.weight.outlier_channels");
    EXPECT_EQ(out[0].dtype, DType::i32);
    EXPECT_EQ(out[0].shape, std::vector<int64_t>{2});
    EXPECT_EQ(out[1].name, "l.weight.outlier_columns");
    EXPECT_EQ(out[1].shape, (std::vector<int64_t>{2, 2}));
    std::vector<int32_t> channels(2);
    std::vector<float> columns(4), scales(2);
    std::memcpy(channels.data(), out[0].bytes.data(), 8);
    std::memcpy(columns.data(), out[1].bytes.data(), 16);
    std::memcpy(scales.data(), out[3].bytes.data(), 8);
    EXPECT_EQ(channels, (std::vector<int32_t>{1, 3}));
    EXPECT_EQ(columns, (std::vector<float>{40.0f, 7.0f, -30.0f, 2.0f}));
    EXPECT_EQ(out[2].dtype, DType::qc8);
    const auto* q = reinterpret_cast<const int8_t*>(out[2].bytes.data());
    EXPECT_EQ(q[1], 0);
    EXPECT_EQ(q[3], 0);
    EXPECT_EQ(q[8], 0);
    EXPECT_EQ(scales, (std::vector<float>{1.0f / 127.0f, 1.0f / 127.0f}));  // max |w| of the int8 columns
    try {
        quantized({5});
        ADD_FAILURE() << "channel 5 of 5 inputs accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_argument);
    }
}

}  // namespace
}  // namespace edgembed::convert
