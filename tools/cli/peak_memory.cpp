#include "tools/cli/peak_memory.h"

#include <sys/resource.h>

#include <cstdio>

namespace edgembed::cli {

double peak_rss_mb() {
    if (std::FILE* status = std::fopen("/proc/self/status", "r")) {
        char line[256];
        long kilobytes = -1;
        while (std::fgets(line, sizeof line, status))
            if (std::sscanf(line, "VmHWM: %ld kB", &kilobytes) == 1) break;
        std::fclose(status);
        if (kilobytes >= 0) return static_cast<double>(kilobytes) / 1024.0;
    }
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

}  // namespace edgembed::cli
