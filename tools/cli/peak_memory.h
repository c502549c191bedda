// This process's peak resident memory, for the CLI's reports (embed's summary line, bench's JSON).
#pragma once

namespace edgembed::cli {

// VmHWM, the high-water mark of this process's own address space, in MB. ru_maxrss would also hold the
// parent's RSS at fork (Linux carries it over exec), e.g. a test runner's hundreds of MB; it is the
// fallback where /proc is missing.
double peak_rss_mb();

}  // namespace edgembed::cli
