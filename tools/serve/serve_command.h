// `edgembed serve`: the subcommand's options (CLI11) over ServeOptions.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/serve/serve_options.h"

namespace edgembed::serve {

CLI::App* add_serve_command(CLI::App& app, ServeOptions& options);

}  // namespace edgembed::serve
