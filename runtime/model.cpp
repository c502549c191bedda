#include "runtime/model.h"

#include "base/error.h"

#include "runtime/tokenizer/tokenizer_config_json.h"

namespace edgembed {

Model::Model(std::unique_ptr<model_file::ModelFile> file) : file_(std::move(file)) {
    const TokenizerConfig& tokenizer = file_->config().tokenizer;
    if (tokenizer.type == "sentencepiece") {  // its model lives in a u8 tensor, not in the JSON
        const model_file::TensorView& proto = file_->tensor(kSentencePieceModelTensor);
        if (proto.dtype != DType::u8) throw Error(Status::corrupt_model_file, std::string("tensor '") + kSentencePieceModelTensor + "' must be u8");
        TokenizerConfig with_model = tokenizer;
        with_model.sentencepiece.model_proto.assign(static_cast<const char*>(proto.data), proto.nbytes);
        tokenizer_ = std::make_unique<Tokenizer>(with_model);
    } else {
        tokenizer_ = std::make_unique<Tokenizer>(tokenizer);
    }
    encoder_ = std::make_unique<models::Encoder>(*file_);
    dense_ = std::make_unique<DenseModules>(*file_);
    file_->verify_all_tensors();  // the ones the encoder did not use
}

std::shared_ptr<const Model> Model::load(const std::string& path) {
    return std::shared_ptr<const Model>(new Model(model_file::ModelFile::open(path)));
}

std::shared_ptr<const Model> Model::load_from_memory(const void* data, size_t size) {
    return std::shared_ptr<const Model>(new Model(model_file::ModelFile::from_memory(data, size)));
}

}  // namespace edgembed
