// Finding a BLAS at run time. The addon declares the one CBLAS function it calls (cblas_sgemm) and
// resolves it when it loads, so it builds without any BLAS headers or library and keeps working
// when a BLAS is installed or removed later:
//
//   1. FLATSPARSE_BLAS, when set: "builtin" (the built-in GEMM), or a library path or soname
//      (any CBLAS library is accepted; if it does not load, the built-in GEMM runs and says why);
//   2. Linux: libopenblas.so.0 (Debian/Ubuntu's libopenblas0-pthread, -openmp or -serial, through
//      their alternatives link; Fedora's and Arch's openblas), then Debian's own directories for
//      the three variants (in case the alternatives link is missing), then libopenblasp.so.0 and
//      libopenblaso.so.0 (Fedora's pthread and OpenMP builds), then libblas.so.3, only where it is
//      OpenBLAS, BLIS or MKL: the reference BLAS (Debian's libblas3) is about 20x slower than the
//      built-in GEMM;
//      macOS: Accelerate, linked at build time (always present);
//   3. the built-in GEMM (gemm_builtin.cc).
//
// The library runs on one thread (openblas_set_num_threads(1) and the like): every split across
// threads is made by the addon's pool, so two pools never compete for the cores.
#include "blas.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#if defined(FSN_ACCELERATE)
// Accelerate's CBLAS (its enums are ints in the ABI): declared here so that no header is needed.
extern "C" void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
                            float beta, float* c, int ldc);
#endif

namespace fsn {
namespace {

// cblas_sgemm's arguments: CblasRowMajor 101, CblasNoTrans 111, CblasTrans 112 (cblas.h).
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

struct Library {
  CblasSgemm sgemm = nullptr;
  std::string path, name, config;
};

struct Attempt {
  std::string candidate, error;
};

struct State {
  std::mutex mutex;
  Library library;  // sgemm null: none loaded
  std::string requested;
  bool hasRequested = false;
  std::vector<std::string> candidates;
  std::vector<Attempt> tried;
  bool resolved = false;
};

State& state() {
  static State s;
  return s;
}

// The function sgemm calls: null runs the built-in GEMM.
std::atomic<CblasSgemm> active{nullptr};

#if defined(__x86_64__)
#define FSN_TRIPLET "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define FSN_TRIPLET "aarch64-linux-gnu"
#endif

struct Candidate {
  std::string name;
  bool requireOptimized;
};

std::vector<Candidate> defaultCandidates() {
  std::vector<Candidate> list;
#if defined(FSN_ACCELERATE)
  list.push_back({"Accelerate", false});
#elif defined(__linux__)
  list.push_back({"libopenblas.so.0", false});
#if defined(FSN_TRIPLET)
  for (const char* variant : {"openblas-pthread", "openblas-openmp", "openblas-serial"}) {
    list.push_back({std::string("/usr/lib/" FSN_TRIPLET "/") + variant + "/libopenblas.so.0", false});
  }
#endif
  list.push_back({"libopenblasp.so.0", false});
  list.push_back({"libopenblaso.so.0", false});
  list.push_back({"libblas.so.3", true});
#endif
  return list;
}

std::string realPath(const std::string& path) {
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string out(resolved);
  std::free(resolved);
  return out;
}

/** The file a symbol was loaded from. */
std::string fileOf(void* symbol, const std::string& fallback) {
  Dl_info info{};
  if (symbol != nullptr && dladdr(symbol, &info) != 0 && info.dli_fname != nullptr) return realPath(info.dli_fname);
  return fallback;
}

/** Tries one candidate; on success fills library. Returns "" or the reason it was not used. */
std::string tryLoad(const Candidate& c, Library& library) {
#if defined(FSN_ACCELERATE)
  if (c.name == "Accelerate" || c.name == "accelerate") {
    library.sgemm = &::cblas_sgemm;
    library.name = "Accelerate";
    library.config = "Accelerate (vecLib), linked at build time";
    library.path = fileOf(reinterpret_cast<void*>(&::cblas_sgemm), "/System/Library/Frameworks/Accelerate.framework");
    return "";
  }
#endif
  dlerror();
  void* handle = dlopen(c.name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return why == nullptr ? "dlopen failed" : why;
  }
  auto sgemm = reinterpret_cast<CblasSgemm>(dlsym(handle, "cblas_sgemm"));
  if (sgemm == nullptr) {
    dlclose(handle);
    return "it has no cblas_sgemm (not a CBLAS library)";
  }
  std::string name, config;
  if (auto getConfig = reinterpret_cast<char* (*)()>(dlsym(handle, "openblas_get_config"))) {
    const char* text = getConfig();
    config = text == nullptr ? "OpenBLAS" : text;
    // "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64" -> "OpenBLAS 0.3.21"
    const size_t first = config.find(' ');
    const size_t second = first == std::string::npos ? std::string::npos : config.find(' ', first + 1);
    name = config.substr(0, second);
    if (auto setThreads = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"))) setThreads(1);
  } else if (auto version = reinterpret_cast<const char* (*)()>(dlsym(handle, "bli_info_get_version_str"))) {
    name = std::string("BLIS ") + version();
    config = name;
    if (auto setThreads = reinterpret_cast<void (*)(int64_t)>(dlsym(handle, "bli_thread_set_num_threads"))) setThreads(1);
  } else if (auto mklVersion = reinterpret_cast<void (*)(char*, int)>(dlsym(handle, "MKL_Get_Version_String"))) {
    char buffer[256] = {0};
    mklVersion(buffer, sizeof buffer - 1);
    config = buffer;
    name = "MKL";
    if (auto setThreads = reinterpret_cast<void (*)(int)>(dlsym(handle, "MKL_Set_Num_Threads"))) setThreads(1);
  } else {
    if (c.requireOptimized) {
      dlclose(handle);
      return "not OpenBLAS, BLIS or MKL (likely the reference BLAS, slower than the built-in GEMM; name it in FLATSPARSE_BLAS to use it anyway)";
    }
    name = "BLAS";
    config = "a CBLAS library (not identified as OpenBLAS, BLIS or MKL)";
  }
  library.sgemm = sgemm;
  library.name = name;
  library.config = config;
  library.path = fileOf(reinterpret_cast<void*>(sgemm), c.name);
  // The handle stays open for the life of the process.
  return "";
}

void resolveLocked(State& s) {
  s.library = Library{};
  s.tried.clear();
  s.candidates.clear();
  const char* env = std::getenv("FLATSPARSE_BLAS");
  s.hasRequested = env != nullptr && *env != '\0';
  s.requested = s.hasRequested ? env : "";
  std::vector<Candidate> list;
  if (s.hasRequested) {
    if (s.requested != "builtin" && s.requested != "built-in") list.push_back({s.requested, false});
  } else {
    list = defaultCandidates();
  }
  for (const Candidate& c : list) s.candidates.push_back(c.name);
  for (const Candidate& c : list) {
    Library library;
    const std::string error = tryLoad(c, library);
    if (error.empty()) {
      s.library = library;
      break;
    }
    s.tried.push_back({c.name, error});
  }
  s.resolved = true;
  active.store(s.library.sgemm, std::memory_order_release);
}

void appendJsonString(std::string& out, const std::string& text) {
  out += '"';
  for (const unsigned char ch : text) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < 0x20) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", ch);
          out += buffer;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  out += '"';
}

}  // namespace

void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  const CblasSgemm f = active.load(std::memory_order_acquire);
  if (f != nullptr && m > 0 && n > 0) {
    // CBLAS requires leading dimensions >= 1 even where a size is 0.
    f(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, alpha, a, lda < 1 ? 1 : lda, b, ldb < 1 ? 1 : ldb, beta, c, ldc < 1 ? 1 : ldc);
  } else {
    builtinSgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

bool librarySgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  CblasSgemm f = nullptr;
  {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    f = s.library.sgemm;
  }
  if (f == nullptr) return false;
  if (m > 0 && n > 0) f(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, alpha, a, lda < 1 ? 1 : lda, b, ldb < 1 ? 1 : ldb, beta, c, ldc < 1 ? 1 : ldc);
  return true;
}

void resolveBlas(bool again) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.resolved && !again) return;
  resolveLocked(s);
}

std::string loadBlas(const std::string& candidate, bool requireOptimized) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Library library;
  const std::string error = tryLoad({candidate, requireOptimized}, library);
  if (!error.empty()) return error;
  s.library = library;
  s.resolved = true;
  active.store(library.sgemm, std::memory_order_release);
  return "";
}

bool useBuiltinGemm(bool on) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  active.store(on ? nullptr : s.library.sgemm, std::memory_order_release);
  return active.load(std::memory_order_relaxed) == nullptr;
}

std::string activeGemmConfig() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return active.load(std::memory_order_acquire) == nullptr || s.library.sgemm == nullptr ? "built-in GEMM" : s.library.config;
}

std::string blasInfoJson() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  const bool builtinActive = active.load(std::memory_order_acquire) == nullptr;
  std::string out = "{\"resolved\":";
  out += s.library.sgemm != nullptr ? "\"blas\"" : "\"builtin\"";
  out += ",\"active\":";
  out += builtinActive ? "\"builtin\"" : "\"blas\"";
  out += ",\"library\":";
  if (s.library.sgemm == nullptr) {
    out += "null";
  } else {
    out += "{\"path\":";
    appendJsonString(out, s.library.path);
    out += ",\"name\":";
    appendJsonString(out, s.library.name);
    out += ",\"config\":";
    appendJsonString(out, s.library.config);
    out += "}";
  }
  out += ",\"requested\":";
  if (s.hasRequested) appendJsonString(out, s.requested);
  else out += "null";
  out += ",\"candidates\":[";
  for (size_t i = 0; i < s.candidates.size(); i++) {
    if (i > 0) out += ',';
    appendJsonString(out, s.candidates[i]);
  }
  out += "],\"tried\":[";
  for (size_t i = 0; i < s.tried.size(); i++) {
    if (i > 0) out += ',';
    out += "{\"candidate\":";
    appendJsonString(out, s.tried[i].candidate);
    out += ",\"error\":";
    appendJsonString(out, s.tried[i].error);
    out += '}';
  }
  out += "],\"builtin\":";
  appendJsonString(out, builtinGemmDescription());
  out += "}";
  return out;
}

}  // namespace fsn
