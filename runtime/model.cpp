#include "runtime/model.h"

#include "runtime/tokenizer/wordpiece.h"

namespace edgembed {

Model::Model(std::unique_ptr<model_file::ModelFile> file) : file_(std::move(file)) {
    tokenizer_ = std::make_unique<WordPieceTokenizer>(file_->config().wordpiece);
    encoder_ = std::make_unique<bert::Encoder>(*file_);
}

std::shared_ptr<const Model> Model::load(const std::string& path) {
    return std::shared_ptr<const Model>(new Model(model_file::ModelFile::open(path)));
}

std::shared_ptr<const Model> Model::load_from_memory(const void* data, size_t size) {
    return std::shared_ptr<const Model>(new Model(model_file::ModelFile::from_memory(data, size)));
}

}  // namespace edgembed
