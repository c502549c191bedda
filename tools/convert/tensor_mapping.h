// Maps a checkpoint's tensors onto the tensor table of the config's family (runtime/models/family.h):
// strips the family's prefixes ("bert.", "roberta.", "0.auto_model.", ...), renames the old
// LayerNorm.gamma/beta to weight/bias, stacks the family's stacked tensors from their parts (Qwen3's
// q_proj / k_proj / v_proj), adds the family's norm_weight_offset to norm weights (Gemma's 1 + w), ignores
// what an encoder does not use (poolers, masked-LM heads, index buffers) with a note, reports unknown extra
// tensors and ignores them, and refuses missing tensors, wrong shapes, integer tensors and NaN / Inf values.
#pragma once

#include <string>
#include <vector>

#include "runtime/model_config.h"
#include "tools/convert/checkpoint_tensors.h"
#include "tools/convert/quantize.h"

namespace edgembed::convert {

// The canonical name for a checkpoint name (it may not be a tensor of the family at all).
std::string canonical_name(const std::string& checkpoint_name, const std::vector<std::string>& prefixes);

// Every tensor of models::tensor_specs(config), in that order, as f32. Throws Error(invalid_weights)
// naming the tensor, or Error(invalid_checkpoint) when two checkpoint names map to one tensor.
std::vector<MappedTensor> map_tensors(const TensorSet& checkpoint, const ModelConfig& config, const NoteFn& note);

}  // namespace edgembed::convert
