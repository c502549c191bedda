// Where the CLI writes a result: stdout ("-"), or a file that is replaced only when the command succeeds
// (written under a temporary name beside it, renamed into place by commit(); an error leaves no half-written
// file and an existing file untouched). Devices and FIFOs (/dev/null, /dev/stdout) are written directly.
#pragma once

#include <fstream>
#include <ostream>
#include <string>

namespace edgembed::cli {

class OutputFile {
public:
    explicit OutputFile(const std::string& path);  // throws Error(io_error) when it cannot be created
    ~OutputFile();                                  // removes the temporary file unless committed
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    std::ostream& stream() { return path_ == "-" ? static_cast<std::ostream&>(std_out_) : file_; }
    // Flushes, checks that every write succeeded (else Error(io_error)) and renames the file into place.
    void commit();

private:
    std::string path_, temporary_;  // temporary_ empty: written directly
    std::ofstream file_;
    std::ostream& std_out_;
    bool committed_ = false;
};

}  // namespace edgembed::cli
