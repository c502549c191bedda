// Probe (not part of the build): the phases of loading a model in a fresh process (file open with and
// without the checksum, tokenizer, encoder). docs/perf/notes.md quotes it. Build (after scripts/setup.sh)
// and run from the repo root:
//   g++ -O2 -std=c++20 -I. -Iruntime/include bench/probes/load_phases.cpp -o /tmp/load_probe \
//     build/runtime/libedgembed_core.a build/quant/libedgembed_quant.a build/simd/libedgembed_simd.a \
//     -ldnnl -lxxhash -lutf8proc -fopenmp
//   for v in 0 1; do taskset -c 0 /tmp/load_probe models/all-MiniLM-L6-v2.int8.edgembed $v; done
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include "runtime/model_file/reader.h"
#include "runtime/tokenizer/tokenizer.h"
#include "runtime/models/encoder.h"
using namespace edgembed;
using C = std::chrono::steady_clock;
static double ms(C::time_point a){return std::chrono::duration<double,std::milli>(C::now()-a).count();}
int main(int, char** argv){
  bool verify = atoi(argv[2]);
  auto t0=C::now(); auto f2 = model_file::ModelFile::open(argv[1], verify); double open_v=ms(t0);
  t0=C::now(); Tokenizer tok(f2->config().tokenizer); double tk=ms(t0);
  t0=C::now(); models::Encoder enc(*f2); double en=ms(t0);
  std::printf("cold verify=%d: open %.2f tokenizer %.2f encoder %.2f total %.2f\n", verify, open_v, tk, en, open_v+tk+en);
}
