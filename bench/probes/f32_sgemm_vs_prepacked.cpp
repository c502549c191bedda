// Probe (not part of the build): oneDNN's sgemm on weights as stored (what quant/f32_gemm.cpp ran from 65
// rows up until the packed kernel replaced it) against oneDNN's matmul on weights reordered once, at the
// MiniLM layer shapes, six copies of each weight cycled so that they do not stay in cache, as in a model.
// docs/perf/notes.md quotes it; build/bench/bench_linear measures the packed kernel the same way.
// Build and run from the repo root:
//   g++ -O2 bench/probes/f32_sgemm_vs_prepacked.cpp -o /tmp/f32_probe -ldnnl
//   for t in 1 2; do OMP_NUM_THREADS=$t taskset -c 0-$((t-1)) /tmp/f32_probe; done
#include <oneapi/dnnl/dnnl.hpp>
#include <oneapi/dnnl/dnnl.h>
#include <chrono>
#include <cstdio>
#include <vector>
#include <algorithm>
using namespace dnnl;
using C = std::chrono::steady_clock;
int main() {
  engine eng(engine::kind::cpu, 0); stream s(eng);
  for (int M : {64, 128, 256, 512}) for (auto kn : std::vector<std::pair<int,int>>{{384,1152},{384,384},{384,1536},{1536,384}}) {
    int K = kn.first, N = kn.second;
    // 6 copies of the weights so that they do not stay in L2 between calls, as in a model.
    const int copies = 6;
    std::vector<std::vector<float>> W(copies, std::vector<float>((size_t)N*K, 0.01f));
    std::vector<float> A((size_t)M*K, 0.5f), Cm((size_t)M*N);
    auto t_sgemm = [&]{ auto t0=C::now(); for (int r=0;r<20;++r) for (int c=0;c<copies;++c) dnnl_sgemm('N','T',M,N,K,1.f,A.data(),K,W[c].data(),K,0.f,Cm.data(),N); return std::chrono::duration<double,std::micro>(C::now()-t0).count()/(20*copies); };
    memory::desc a_md({M,K}, memory::data_type::f32, memory::format_tag::ab);
    memory::desc w_any({K,N}, memory::data_type::f32, memory::format_tag::any);
    memory::desc c_md({M,N}, memory::data_type::f32, memory::format_tag::ab);
    auto pd = matmul::primitive_desc(matmul::desc(a_md, w_any, c_md), eng);
    matmul mm(pd);
    std::vector<memory> wm;
    for (int c=0;c<copies;++c){ memory user({{K,N}, memory::data_type::f32, memory::format_tag::ba}, eng, W[c].data()); memory packed(pd.weights_desc(), eng); reorder(user, packed).execute(s, user, packed); wm.push_back(packed);} s.wait();
    memory am(a_md, eng, A.data()), cmm(c_md, eng, Cm.data());
    auto t_mm = [&]{ auto t0=C::now(); for (int r=0;r<20;++r) for (int c=0;c<copies;++c) mm.execute(s, {{DNNL_ARG_SRC, am},{DNNL_ARG_WEIGHTS, wm[c]},{DNNL_ARG_DST, cmm}}); s.wait(); return std::chrono::duration<double,std::micro>(C::now()-t0).count()/(20*copies); };
    t_sgemm(); t_mm();
    double a=1e9,b=1e9; for(int i=0;i<3;++i){a=std::min(a,t_sgemm()); b=std::min(b,t_mm());}
    std::printf("M %4d K %4d N %4d: sgemm %7.1f us  matmul(reordered) %7.1f us  %.2fx  impl %s\n", M,K,N,a,b,a/b, pd.impl_info_str());
  }
}
