// Reader for pytorch_model.bin in the PyTorch zip format (torch >= 1.6): "<archive>/data.pkl" holds
// the pickled state dict, "<archive>/data/<key>" the raw bytes of each storage. The pickle goes through
// the restricted unpickler of pickle.h, so nothing in the file is ever executed. Legacy (non-zip)
// torch files are refused.
#pragma once

#include <string>

#include "tools/convert/checkpoint_tensors.h"

namespace edgembed::convert {

// Throws Error(invalid_checkpoint) with "<file name>: <what is wrong>", or file_not_found / io_error.
TensorSet read_torch_bin(const std::string& path);

}  // namespace edgembed::convert
