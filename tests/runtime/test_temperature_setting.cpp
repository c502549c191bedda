// The temperature-setting notation (parse / print / validate), its storage in the model config, and
// EmbedOptions::auto_temperature: the model's stored setting gives the same bits as the same options
// given by hand, and asking for it is a clear error when the model stores none.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "runtime/context.h"
#include "runtime/temperature_setting.h"
#include "tests/runtime/tiny_model_file.h"

namespace edgembed {
namespace {

using edgembed::testing::tiny_config;
using edgembed::testing::tiny_model_file;
using edgembed::testing::TinyModelSpec;

void expect_invalid(const std::string& spec, const std::string& needle) {
    try {
        parse_temperature_setting(spec);
        ADD_FAILURE() << "accepted '" << spec << "'";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_argument);
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(TemperatureSetting, ParsesTheStudyNotation) {
    const TemperatureSetting s = parse_temperature_setting("tau=0.9 N0=128 A=1.5 layers=1,1,0.8");
    EXPECT_FLOAT_EQ(s.tau, 0.9f);
    EXPECT_EQ(s.length_scale_reference, 128);
    EXPECT_FLOAT_EQ(s.length_scale_exponent, 1.5f);
    EXPECT_EQ(s.layer_factors, (std::vector<float>{1.0f, 1.0f, 0.8f}));
    EXPECT_EQ(to_string(s), "tau=0.9 N0=128 A=1.5 layers=1,1,0.8");
    EXPECT_EQ(to_string(parse_temperature_setting("  tau=1  ")), "tau=1");
    EXPECT_EQ(to_string(parse_temperature_setting(to_string(s))), to_string(s));
}

TEST(TemperatureSetting, RefusesBadSpecsNamingTheProblem) {
    expect_invalid("", "tau= is missing");
    expect_invalid("N0=64 A=2", "tau= is missing");
    expect_invalid("tau=0", "tau must be in (0, 100]");
    expect_invalid("tau=nan", "tau is not a finite number");
    expect_invalid("tau=1 tau=2", "tau given twice");
    expect_invalid("tau=1 N0=1", "N0 must be 0 (off) or >= 2");
    expect_invalid("tau=1 N0=12.5", "N0 must be a whole number");
    expect_invalid("tau=1 layers=", "layers= lists no factor");
    expect_invalid("tau=1 layers=1,,1", "a layer factor is not a finite number");
    expect_invalid("tau=1 layers=1,-1", "layer factors must be in (0, 100]");
    expect_invalid("tau=1 beta=2", "unknown key 'beta'");
    expect_invalid("tau", "'tau' is not key=value");
}

TEST(TemperatureSetting, StoredInTheConfigAndCheckedAgainstTheLayerCount) {
    ModelConfig c = tiny_config(TinyModelSpec{});
    c.auto_temperature = parse_temperature_setting("tau=0.8 N0=16 A=2 layers=0.9");
    nlohmann::json j;
    to_json(j, c);
    const ModelConfig back = model_config_from_json(j);
    ASSERT_TRUE(back.auto_temperature.has_value());
    EXPECT_EQ(to_string(*back.auto_temperature), "tau=0.8 N0=16 A=2 layers=0.9");

    j["auto_temperature"]["layer_factors"] = {1.0, 1.0};  // the tiny model has one layer
    try {
        model_config_from_json(j);
        ADD_FAILURE() << "a layer count mismatch was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_config);
        EXPECT_NE(std::string(e.what()).find("one factor per layer (1), got 2"), std::string::npos) << e.what();
    }
    j["auto_temperature"] = "tau=1";
    EXPECT_THROW(model_config_from_json(j), Error);
    j.erase("auto_temperature");  // older files: no setting, still valid
    EXPECT_FALSE(model_config_from_json(j).auto_temperature.has_value());
}

class AutoTemperature : public ::testing::Test {
protected:
    static std::shared_ptr<const Model> model(const std::string& spec) {
        TinyModelSpec s;
        s.layers = 2;
        auto bytes = std::make_shared<std::vector<uint8_t>>(tiny_model_file(s, {}, [&](ModelConfig& c) {
            if (!spec.empty()) c.auto_temperature = parse_temperature_setting(spec);
        }));
        return Model::load_from_memory(bytes->data(), bytes->size());
    }
    static std::vector<float> embed(const std::shared_ptr<const Model>& m, const EmbedOptions& o) {
        Context context(m);
        // A long text (over N0 = 8 tokens), a short one, and one cut into windows.
        const std::vector<std::string_view> texts = {"the cat sat on the mat and the dog sat on the cat again and again",
                                                     "the cat", "the dog the cat the mat"};
        std::vector<float> out(texts.size() * static_cast<size_t>(context.model().dimension()));
        context.embed(texts, o, out.data());
        return out;
    }
};

TEST_F(AutoTemperature, EqualsTheSameSettingGivenByHand) {
    const auto m = model("tau=0.7 N0=8 A=2 layers=1,0.5");
    EmbedOptions automatic;
    automatic.auto_temperature = true;
    EmbedOptions by_hand;
    by_hand.temperature = 0.7f;
    by_hand.length_scale_reference = 8;
    by_hand.length_scale_exponent = 2.0f;
    by_hand.layer_temperatures = {1.0f, 0.5f};
    const std::vector<float> a = embed(m, automatic), b = embed(m, by_hand), plain = embed(m, {});
    EXPECT_EQ(a, b);  // bit for bit
    EXPECT_NE(a, plain);
}

TEST_F(AutoTemperature, IsAClearErrorWithoutAStoredSettingOrWithOtherTemperatureOptions) {
    EmbedOptions o;
    o.auto_temperature = true;
    try {
        embed(model(""), o);
        ADD_FAILURE() << "auto without a stored setting was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.status(), Status::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("this model stores none"), std::string::npos) << e.what();
    }
    o.temperature = 0.5f;
    try {
        embed(model("tau=1"), o);
        ADD_FAILURE() << "auto plus an explicit temperature was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("do not also give them"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace edgembed
