// Maps a checkpoint's tensors onto the canonical BERT tensors (runtime/models/bert_tensors.h):
// strips the prefixes "bert.", "0.auto_model." and "model.", renames the old LayerNorm.gamma/beta to
// weight/bias, ignores what an encoder does not use (pooler.*, cls.* heads, the position_ids /
// token_type_ids buffers) with a note, reports unknown extra tensors and ignores them, and refuses
// missing tensors, wrong shapes, integer tensors and NaN / Inf values.
#pragma once

#include <string>
#include <vector>

#include "runtime/model_config.h"
#include "tools/convert/checkpoint_tensors.h"
#include "tools/convert/quantize.h"

namespace edgembed::convert {

// The canonical name for a checkpoint name (it may not be a BERT tensor at all).
std::string canonical_bert_name(const std::string& checkpoint_name);

// Every tensor of bert::tensor_specs(config), in that order, as f32. Throws Error(invalid_weights)
// naming the tensor, or Error(invalid_checkpoint) when two checkpoint names map to one tensor.
std::vector<MappedTensor> map_bert_tensors(const TensorSet& checkpoint, const ModelConfig& config, const NoteFn& note);

}  // namespace edgembed::convert
