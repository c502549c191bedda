#include "tools/cli/output_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "base/error.h"

namespace edgembed::cli {

OutputFile::OutputFile(const std::string& path) : path_(path), std_out_(std::cout) {
    if (path_ == "-") return;
    struct stat info {};
    const bool special = ::stat(path_.c_str(), &info) == 0 && !S_ISREG(info.st_mode);
    if (!special) temporary_ = path_ + ".tmp-" + std::to_string(::getpid());
    file_.open(special ? path_ : temporary_, std::ios::binary | std::ios::trunc);
    if (!file_) throw Error(Status::io_error, "cannot write '" + path_ + "'");
}

OutputFile::~OutputFile() {
    if (!committed_ && !temporary_.empty()) {
        file_.close();
        std::remove(temporary_.c_str());
    }
}

void OutputFile::commit() {
    std::ostream& out = stream();
    out.flush();
    if (!out) throw Error(Status::io_error, "writing '" + path_ + "' failed");
    if (!temporary_.empty()) {
        file_.close();
        if (!file_ || std::rename(temporary_.c_str(), path_.c_str()) != 0)
            throw Error(Status::io_error, "cannot write '" + path_ + "'");
    }
    committed_ = true;
}

}  // namespace edgembed::cli
